namespace InferMesh.Engine.Serving;

/// <summary>
/// A piece of a structured prompt. RAG prompts are [instructions] + retrieved chunks + question; marking the chunks
/// lets the engine reuse each chunk's KV wherever it appears (Cache-Craft) instead of recomputing it.
/// </summary>
/// <param name="TokenIds">The segment's tokens (tokenized on its own, so a chunk has the same ids in every prompt).</param>
/// <param name="IsChunk">A reusable document chunk; other segments (instructions, question) are always computed.</param>
public sealed record PromptSegment(IReadOnlyList<int> TokenIds, bool IsChunk);
