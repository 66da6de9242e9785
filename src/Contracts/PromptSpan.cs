namespace InferMesh.Contracts;

/// <summary>
/// A run of prompt tokens as the engine should see it: a document chunk (its KV reused from the chunk caches when an
/// engine has it) or ordinary text (always computed).
/// </summary>
/// <param name="Length">Tokens in the span.</param>
/// <param name="ChunkHash">The chunk's hash (see <see cref="ChunkKey"/>) for a document chunk; null for other text.</param>
[GenerateSerializer, Immutable]
public sealed record PromptSpan([property: Id(0)] int Length, [property: Id(1)] string? ChunkHash);
