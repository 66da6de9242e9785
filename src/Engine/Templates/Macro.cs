namespace InferMesh.Engine.Templates;

/// <summary>A {% macro %}: parameters with defaults and a body rendered in a scope of its own when called.</summary>
internal sealed class Macro(string name, List<(string Name, Expr? Default)> parameters, List<TemplateNode> body)
{
    public string Name { get; } = name;

    public List<(string Name, Expr? Default)> Parameters { get; } = parameters;

    public List<TemplateNode> Body { get; } = body;
}
