namespace InferMesh.Gateway.Requests;

/// <summary>OpenAI's <c>tool_choice</c>: "none", "auto", "required", or one named function.</summary>
public enum ToolChoiceMode
{
    None,
    Auto,
    Required,
    Function,
}
