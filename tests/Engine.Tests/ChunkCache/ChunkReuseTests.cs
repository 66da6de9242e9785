using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.ChunkCache;

public sealed class ChunkReuseTests
{
    private static readonly int[] ChunkA = Enumerable.Range(300, 48).ToArray();
    private static readonly int[] ChunkB = Enumerable.Range(600, 40).Select(i => (i * 7) % 2000).ToArray();
    private static readonly int[] ChunkC = Enumerable.Range(900, 33).ToArray();

    private static GenerationRequest Rag(ChunkReusePolicy policy, params int[][] chunks) => Rag(policy, "", chunks);

    private static GenerationRequest Rag(ChunkReusePolicy policy, string ns, params int[][] chunks) =>
        RagPrompt.Request(chunks, policy, 6, SamplingParams.Greedy with { Logprobs = true, TopLogprobs = 20 }) with { CacheNamespace = ns };

    private static async Task<List<TokenEvent>> Run(InferenceEngine engine, GenerationRequest request)
    {
        var events = new List<TokenEvent>();
        await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            events.Add(e);
        }

        return events;
    }

    private static InferenceEngine Engine() => InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });

    // The prompts here are shorter than the default recency window, which would recompute them whole.
    private static ChunkReusePolicy Policy(ChunkReuseMode mode, double ratio = 0.15) => new() { Mode = mode, FixedRatio = ratio, RecencyWindow = 0 };

    private static IEnumerable<(int, float)> FirstDistribution(List<TokenEvent> events) => events.First(e => e.TokenId >= 0).Logprob!.TopAlternatives;

    [Fact]
    public async Task Recomputing_every_reused_token_gives_exactly_the_full_prefill_logits()
    {
        await using var engine = Engine();
        await Run(engine, Rag(Policy(ChunkReuseMode.CacheCraft), ChunkA, ChunkB, ChunkC)); // stores the chunks
        var reused = await Run(engine, Rag(Policy(ChunkReuseMode.FixedRatio, 1.0), ChunkC, ChunkA, ChunkB));

        await using var fresh = Engine();
        var full = await Run(fresh, Rag(Policy(ChunkReuseMode.FullRecompute), ChunkC, ChunkA, ChunkB));
        Assert.Equal(FirstDistribution(full), FirstDistribution(reused));
        Assert.Equal(full.Where(e => e.TokenId >= 0).Select(e => e.TokenId), reused.Where(e => e.TokenId >= 0).Select(e => e.TokenId));
    }

    [Fact]
    public async Task Reused_chunks_are_not_recomputed_and_usage_says_so()
    {
        await using var engine = Engine();
        await Run(engine, Rag(Policy(ChunkReuseMode.CacheCraft), ChunkA, ChunkB, ChunkC));
        var before = engine.Stats.PrefillTokensComputed;
        var reused = await Run(engine, Rag(Policy(ChunkReuseMode.FixedRatio, 0.25), ChunkB, ChunkC, ChunkA));
        var computed = engine.Stats.PrefillTokensComputed - before;
        var prompt = RagPrompt.Instructions.Length + ChunkA.Length + ChunkB.Length + ChunkC.Length + RagPrompt.Question.Length;
        Assert.True(computed < prompt / 2, $"computed {computed} of {prompt} prompt tokens");
        Assert.Equal(prompt - computed, reused[^1].CachedPromptTokens);
        Assert.True(engine.ChunkStats.Hits >= 3);
    }

    [Fact]
    public async Task Quality_improves_as_the_recompute_ratio_grows()
    {
        await using var fresh = Engine();
        var reference = (await Run(fresh, Rag(Policy(ChunkReuseMode.FullRecompute), ChunkC, ChunkB, ChunkA))).First(e => e.TokenId >= 0).Logprob!;
        var divergences = new List<double>();
        foreach (var ratio in new[] { 0.0, 0.5, 1.0 })
        {
            await using var engine = Engine();
            await Run(engine, Rag(Policy(ChunkReuseMode.CacheCraft), ChunkA, ChunkB, ChunkC));
            var events = await Run(engine, Rag(Policy(ChunkReuseMode.FixedRatio, ratio), ChunkC, ChunkB, ChunkA));
            Assert.Null(events[^1].Error);
            var got = events.First(e => e.TokenId >= 0).Logprob!;
            divergences.Add(Divergence(reference, got));
        }

        Assert.True(divergences[0] > divergences[1] && divergences[1] > divergences[2], $"divergence by ratio 0/0.5/1: {string.Join(", ", divergences)}");
        Assert.Equal(0, divergences[2], 6);
    }

    [Fact]
    public async Task Approximate_kv_of_a_reused_chunk_never_reaches_the_prefix_cache()
    {
        await using var engine = Engine();
        await Run(engine, Rag(Policy(ChunkReuseMode.CacheCraft), ChunkA, ChunkB, ChunkC));
        await Run(engine, Rag(Policy(ChunkReuseMode.FixedRatio, 0.0), ChunkC, ChunkB, ChunkA)); // approximate KV
        var prefixServed = await Run(engine, Rag(Policy(ChunkReuseMode.PrefixCaching), ChunkC, ChunkB, ChunkA));

        await using var fresh = Engine();
        var exact = await Run(fresh, Rag(Policy(ChunkReuseMode.FullRecompute), ChunkC, ChunkB, ChunkA));
        Assert.Equal(FirstDistribution(exact), FirstDistribution(prefixServed));
    }

    [Fact]
    public async Task Chunks_and_prefix_blocks_of_another_namespace_are_not_reused()
    {
        await using var engine = Engine();
        await Run(engine, Rag(Policy(ChunkReuseMode.CacheCraft), "tenant-a", ChunkA, ChunkB, ChunkC));
        var hits = engine.ChunkStats.Hits;
        var other = await Run(engine, Rag(Policy(ChunkReuseMode.CacheCraft), "tenant-b", ChunkC, ChunkB, ChunkA));
        Assert.Equal(hits, engine.ChunkStats.Hits);
        Assert.Equal(0, other[^1].CachedPromptTokens);
    }

    /// <summary>Mean |Δ logprob| over the reference's top tokens (a KL proxy that needs only the top-20 lists).</summary>
    private static double Divergence(Engine.Serving.TokenLogprob reference, Engine.Serving.TokenLogprob got)
    {
        var lookup = got.TopAlternatives.ToDictionary(a => a.TokenId, a => a.Logprob);
        return reference.TopAlternatives.Average(a => Math.Abs(a.Logprob - (lookup.TryGetValue(a.TokenId, out var v) ? v : -30f)));
    }
}
