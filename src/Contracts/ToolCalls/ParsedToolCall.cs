namespace InferMesh.Contracts.ToolCalls;

/// <summary>One function call read out of a model's reply: OpenAI's id, the function's name and its arguments as JSON text.</summary>
public sealed record ParsedToolCall(string Id, string Name, string Arguments);
