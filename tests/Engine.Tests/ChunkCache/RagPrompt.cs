using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.ChunkCache;

/// <summary>
/// The RAG request the chunk-cache tests send: fixed instructions, the given chunks (segments marked as chunks, so
/// the engine may reuse them), then a fixed question.
/// </summary>
internal static class RagPrompt
{
    public static readonly int[] Instructions = Enumerable.Range(100, 20).ToArray();

    public static readonly int[] Question = [41, 42, 43, 44, 45];

    public static GenerationRequest Request(IEnumerable<int[]> chunks, ChunkReusePolicy policy, int maxTokens, SamplingParams sampling)
    {
        var segments = new List<PromptSegment> { new(Instructions, false) };
        segments.AddRange(chunks.Select(c => new PromptSegment(c, true)));
        segments.Add(new PromptSegment(Question, false));
        return new GenerationRequest
        {
            PromptTokenIds = segments.SelectMany(s => s.TokenIds).ToArray(),
            Segments = segments,
            ChunkReuse = policy,
            MaxTokens = maxTokens,
            IgnoreEos = true,
            Sampling = sampling,
        };
    }
}
