namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Hermes / Qwen2.5 style: each call is <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c>, any
/// number of them, with text around them (see <see cref="HermesToolCallReader"/>). The last call may lack its closing
/// tag (the reply ended there). A block that is not a call stays content; the calls around it stand.
/// </summary>
public sealed class HermesToolCallParser : ToolCallParser
{
    public override string Format => ToolCallFormats.Hermes;

    public override ToolCallReader NewReader(IReadOnlyCollection<string>? functions = null) => new HermesToolCallReader(functions, CallIds);
}
