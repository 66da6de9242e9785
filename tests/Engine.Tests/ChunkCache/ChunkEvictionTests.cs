using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.ChunkCache;

/// <summary>
/// Chunk caches moving between tiers, and KV blocks recycled by the prefix cache, never change what a request gets:
/// an engine starved of memory serves the same requests with exactly the logits of one that never evicts.
/// </summary>
public sealed class ChunkEvictionTests
{
    private static readonly int[][] Pool = Enumerable.Range(0, 6).Select(c => Enumerable.Range(0, 40).Select(t => 300 + (101 * c) + ((t * 7) % 83)).ToArray()).ToArray();

    private static GenerationRequest Rag(ChunkReuseMode mode, params int[] chunks) =>
        RagPrompt.Request(chunks.Select(c => Pool[c]), new ChunkReusePolicy { Mode = mode, FixedRatio = 0.2, RecencyWindow = 0 }, 3, SamplingParams.Greedy with { Logprobs = true, TopLogprobs = 8 });

    /// <summary>
    /// Chunks stored one by one, then reused in new orders, mixed with prefix-cached requests. No two requests share
    /// their first two segments, so what the prefix cache can hold beyond the instructions (exact either way) never
    /// decides between exact and approximate KV, and every engine must give every request the same logits.
    /// </summary>
    private static readonly (ChunkReuseMode Mode, int[] Chunks)[] Script =
    [
        (ChunkReuseMode.CacheCraft, [0]), (ChunkReuseMode.CacheCraft, [1]), (ChunkReuseMode.CacheCraft, [2]),
        (ChunkReuseMode.CacheCraft, [3]), (ChunkReuseMode.CacheCraft, [4]), (ChunkReuseMode.CacheCraft, [5]),
        (ChunkReuseMode.FixedRatio, [2, 0, 4]), (ChunkReuseMode.PrefixCaching, [1, 3]), (ChunkReuseMode.FixedRatio, [5, 1, 0]),
        (ChunkReuseMode.PrefixCaching, [3, 5, 2]), (ChunkReuseMode.FixedRatio, [4, 2, 3]), (ChunkReuseMode.FixedRatio, [0, 5, 1]),
    ];

    private static async Task<List<(int Token, float Logprob)[]>> Serve(EngineOptions options, Action<InferenceEngine>? check = null)
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), options with { Threads = 1 });
        var firsts = new List<(int, float)[]>();
        foreach (var (mode, chunks) in Script)
        {
            (int, float)[]? first = null;
            await foreach (var e in engine.GenerateAsync(Rag(mode, chunks), TestContext.Current.CancellationToken))
            {
                Assert.Null(e.Error);
                first ??= e.Logprob is { } lp ? [.. lp.TopAlternatives] : null;
            }

            firsts.Add(first!);
        }

        await engine.WaitForIdleAsync();
        check?.Invoke(engine);
        return firsts;
    }

    /// <summary>Device bytes of <paramref name="chunks"/> pool chunks: 3 blocks of 16 tokens × 2 layers × K and V × 32 fp32 (tiny-llama).</summary>
    private static long ChunkBytes(int chunks) => chunks * 3L * (2 * 2 * 16 * 32 * sizeof(float));

    [Fact]
    public async Task Chunks_evicted_to_host_memory_come_back_exactly()
    {
        var roomy = await Serve(new EngineOptions());
        var starved = await Serve(
            new EngineOptions { ChunkStore = new ChunkStoreOptions { DeviceBytes = ChunkBytes(3) } },
            e => Assert.True(e.ChunkStats.Evictions > 0 && e.ChunkStats.HostBytes > 0, $"nothing was moved to the host: {e.ChunkStats}"));

        Assert.Equal(roomy, starved);
    }

    [Fact]
    public async Task Chunks_evicted_to_disk_come_back_exactly()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"infermesh-chunks-{Guid.NewGuid():n}");
        try
        {
            var roomy = await Serve(new EngineOptions());
            var starved = await Serve(
                new EngineOptions { ChunkStore = new ChunkStoreOptions { DeviceBytes = ChunkBytes(3), HostBytes = ChunkBytes(1), DiskDirectory = folder } },
                e => Assert.True(e.ChunkStats.DiskBytes > 0, $"nothing was moved to disk: {e.ChunkStats}"));

            Assert.Equal(roomy, starved);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_tiny_kv_cache_recycling_prefix_blocks_under_chunk_reuse_gives_the_same_logits()
    {
        var roomy = await Serve(new EngineOptions());
        var tiny = await Serve(new EngineOptions { KvCacheBlocks = 10, MaxSequences = 1 });

        Assert.Equal(roomy, tiny);
    }
}
