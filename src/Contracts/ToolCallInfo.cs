namespace InferMesh.Contracts;

/// <summary>
/// One function call of an assistant message, as OpenAI's <c>tool_calls[i]</c> gives it: the call's id, the function's
/// name and its arguments as JSON text (the gateway has checked that the text is JSON).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ToolCallInfo([property: Id(0)] string Id, [property: Id(1)] string Name, [property: Id(2)] string Arguments);
