namespace InferMesh.Contracts;

/// <summary>
/// How a model writes tool calls in its reply, told apart by its chat template's text (the template shows the model
/// the format, or renders earlier calls in it). Names as vLLM's <c>--tool-call-parser</c> names them.
/// </summary>
public static class ToolCallFormats
{
    /// <summary>Hermes / Qwen2.5: <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c>, possibly several.</summary>
    public const string Hermes = "hermes";

    /// <summary>Llama 3.1/3.2: the whole reply is <c>{"name": …, "parameters": {…}}</c>, optionally after <c>&lt;|python_tag|&gt;</c>.</summary>
    public const string Llama3Json = "llama3_json";

    /// <summary>Mistral: <c>[TOOL_CALLS][{"name": …, "arguments": {…}}, …]</c>.</summary>
    public const string Mistral = "mistral";

    /// <summary>Tool calls are not looked for: the reply is content.</summary>
    public const string None = "none";

    /// <summary>True when the template's source mentions <c>tools</c> at all: a template that does not cannot show the model any.</summary>
    public static bool TemplateRendersTools(string templateSource) => templateSource.Contains("tools", StringComparison.Ordinal);

    /// <summary>
    /// The format the template's text points to, or <see cref="None"/> when it points to none of the known ones. Llama
    /// 3.1/3.2 templates write <c>&lt;|python_tag|&gt;</c> or ask for <c>"parameters"</c> after "Given the following
    /// functions"; "parameters" alone is not enough (Command R's templates and JSON schemas in many others have it).
    /// </summary>
    public static string Detect(string templateSource) =>
        templateSource.Contains("<tool_call>", StringComparison.Ordinal) ? Hermes
        : templateSource.Contains("[TOOL_CALLS]", StringComparison.Ordinal) ? Mistral
        : templateSource.Contains("<|python_tag|>", StringComparison.Ordinal) || IsLlama31Prompt(templateSource) ? Llama3Json
        : None;

    private static bool IsLlama31Prompt(string templateSource) =>
        templateSource.Contains("Given the following functions", StringComparison.Ordinal) && templateSource.Contains("\"parameters\"", StringComparison.Ordinal);
}
