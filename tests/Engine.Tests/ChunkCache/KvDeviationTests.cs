using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.ChunkCache;

/// <summary>
/// The KV a request leaves behind, read back from its session, measured against full recomputation's: how bench-rag
/// reports KV deviation per layer.
/// </summary>
public sealed class KvDeviationTests
{
    private static readonly int[] ChunkA = Enumerable.Range(300, 48).ToArray();
    private static readonly int[] ChunkB = Enumerable.Range(600, 40).Select(i => (i * 7) % 2000).ToArray();

    [Fact]
    public void Deviation_is_the_relative_l2_distance_per_layer()
    {
        var reference = new SessionKv([[3f, 4f]], [[1f, 0f]]);
        var actual = new SessionKv([[3f, 9f]], [[1f, 0f]]);

        var deviation = actual.DeviationFrom(reference);

        Assert.Equal(1.0, deviation[0].Keys, 12); // ‖(0, 5)‖ / ‖(3, 4)‖
        Assert.Equal(0.0, deviation[0].Values, 12);
    }

    [Fact]
    public async Task Reused_kv_deviates_less_as_the_recompute_ratio_grows_and_not_at_all_at_one()
    {
        var full = await PromptKv(ChunkReuseMode.FullRecompute, 0);
        var last = full.Keys.Length - 1;

        var some = (await PromptKv(ChunkReuseMode.FixedRatio, 0.15)).DeviationFrom(full);
        var more = (await PromptKv(ChunkReuseMode.FixedRatio, 0.6)).DeviationFrom(full);
        var all = (await PromptKv(ChunkReuseMode.FixedRatio, 1.0)).DeviationFrom(full);

        Assert.True(some[last].Keys > more[last].Keys, $"last-layer key deviation {some[last].Keys} at 0.15 vs {more[last].Keys} at 0.6");
        Assert.True(more[last].Keys > 0, "a partly recomputed prompt keeps some stale KV");
        Assert.All(all, d => Assert.Equal((0.0, 0.0), d));
    }

    [Fact]
    public async Task Reading_an_unknown_session_gives_null()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 1 });

        Assert.Null(await engine.ReadSessionKvAsync("nobody", 4));
    }

    /// <summary>The prompt KV of [instructions, B, A, question] after [instructions, A, B, question] stored its chunks (a fresh engine each time).</summary>
    private static async Task<SessionKv> PromptKv(ChunkReuseMode mode, double ratio)
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var policy = new ChunkReusePolicy { Mode = mode, FixedRatio = ratio, RecencyWindow = 0 };
        await Run(engine, Request(policy, null, ChunkA, ChunkB));
        var reordered = Request(policy, "measured", ChunkB, ChunkA);
        await Run(engine, reordered);
        return await engine.ReadSessionKvAsync("measured", reordered.PromptTokenIds.Count) ?? throw new InvalidOperationException("no session KV");
    }

    private static GenerationRequest Request(ChunkReusePolicy policy, string? session, params int[][] chunks) =>
        RagPrompt.Request(chunks, policy, 2, SamplingParams.Greedy) with { SessionKey = session };

    private static async Task Run(InferenceEngine engine, GenerationRequest request)
    {
        await foreach (var _ in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
        }
    }
}
