namespace InferMesh.Contracts;

/// <summary>One message of a conversation, as OpenAI's chat API names them (role: system, user, assistant, tool).</summary>
[GenerateSerializer, Immutable]
public sealed record ChatMessage([property: Id(0)] string Role, [property: Id(1)] string Content);
