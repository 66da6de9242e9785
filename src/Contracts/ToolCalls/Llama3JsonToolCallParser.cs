namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Llama 3.1 / 3.2 JSON style: the reply is the call, <c>{"name": …, "parameters": {…}}</c> ("arguments" is read
/// too), optionally after <c>&lt;|python_tag|&gt;</c> (the engine leaves special tokens out of the text, so usually
/// without it); several calls are separated by <c>;</c> (see <see cref="Llama3JsonToolCallReader"/>). A call must have
/// "parameters" (or "arguments"): without, it is any JSON object that has a "name" (a person's record, say). A reply
/// that does not start with a call is content.
/// </summary>
public sealed class Llama3JsonToolCallParser : ToolCallParser
{
    public override string Format => ToolCallFormats.Llama3Json;

    public override ToolCallReader NewReader(IReadOnlyCollection<string>? functions = null) => new Llama3JsonToolCallReader(functions, CallIds);
}
