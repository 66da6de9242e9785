namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Mistral style: <c>[TOOL_CALLS]</c> then a JSON list of <c>{"name": …, "arguments": {…}}</c>, text before it being
/// content. [TOOL_CALLS] is a special token, which the engine leaves out of the text, so a reply that is just such a
/// list (or a single call object) is read as calls too (see <see cref="MistralToolCallReader"/>). Call ids are 9
/// letters and digits, the only ids Mistral's templates accept back.
/// </summary>
public sealed class MistralToolCallParser : ToolCallParser
{
    public override string Format => ToolCallFormats.Mistral;

    public override ToolCallReader NewReader(IReadOnlyCollection<string>? functions = null) => new MistralToolCallReader(functions, CallIds);

    protected override string NewCallId() => ToolCallIds.Random(9);
}
