using InferMesh.Contracts;
using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Serving;

namespace InferMesh.Grains.ChunkCache;

/// <summary>Turns a shard request's prompt spans into the engine's segments, and names its chunks to this silo's <see cref="ChunkKeyIndex"/>.</summary>
internal static class ChunkSegments
{
    /// <summary>The engine's segments, or null for a prompt without chunks (or spans that do not add up to it).</summary>
    public static IReadOnlyList<PromptSegment>? ToEngine(ShardGenerationRequest request)
    {
        if (request.Segments is not { } spans || !spans.Any(s => s.ChunkHash is not null) || spans.Sum(s => s.Length) != request.PromptTokenIds.Count)
        {
            return null;
        }

        var segments = new List<PromptSegment>(spans.Count);
        var start = 0;
        foreach (var span in spans)
        {
            segments.Add(new PromptSegment(Slice(request.PromptTokenIds, start, span.Length), span.ChunkHash is not null));
            start += span.Length;
        }

        return segments;
    }

    /// <summary>
    /// Makes the request's chunks known to the silo's index until the request ends, so the engine's reports of them
    /// can be sent to their directory entries.
    /// </summary>
    public static IDisposable Track(ChunkKeyIndex index, ShardGenerationRequest request, IReadOnlyList<PromptSegment>? segments, string model)
    {
        if (segments is null)
        {
            return NoChunks.Instance;
        }

        var chunks = new List<(ulong, ChunkKey)>();
        for (var i = 0; i < segments.Count; i++)
        {
            if (request.Segments![i].ChunkHash is { } hash)
            {
                var tokens = segments[i].TokenIds as int[] ?? [.. segments[i].TokenIds];
                chunks.Add((ChunkStore.KeyOf(request.CacheNamespace, model, tokens), new ChunkKey(model, request.CacheNamespace, hash)));
            }
        }

        return index.Track(chunks);
    }

    private static int[] Slice(IReadOnlyList<int> ids, int start, int length)
    {
        var slice = new int[length];
        for (var i = 0; i < length; i++)
        {
            slice[i] = ids[start + i];
        }

        return slice;
    }

    private sealed class NoChunks : IDisposable
    {
        public static NoChunks Instance { get; } = new();

        public void Dispose()
        {
        }
    }
}
