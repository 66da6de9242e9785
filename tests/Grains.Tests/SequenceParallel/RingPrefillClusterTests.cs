using System.Diagnostics;
using InferMesh.Contracts;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Serving;
using InferMesh.Engine.Verification;
using InferMesh.Kernels;

namespace InferMesh.Grains.Tests.SequenceParallel;

/// <summary>
/// Sequence-parallel prefill across silos: the ring's members are engines of different silos, its tensors cross as
/// Orleans messages, and the result is the single-device prefill's — the same last logits (≤ 1e-4, fp32 CPU) and,
/// after the KV is gathered to member 0's engine, the same greedy continuation. A member that fails or is gone ends
/// the ring at once with an error naming it.
/// </summary>
public sealed class RingPrefillClusterTests(RingCluster fixture) : IClassFixture<RingCluster>
{
    private const float Tolerance = 1e-4f;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("tiny-llama", 2, PrefillRingSchedule.TokenRing, 33)]
    [InlineData("tiny-llama", 3, PrefillRingSchedule.OneWayRing, 33)]
    [InlineData("tiny-mistral-sw8", 2, PrefillRingSchedule.OneWayRing, 33)]
    [InlineData("tiny-mistral-sw8", 3, PrefillRingSchedule.TokenRing, 1181)]
    public async Task Ring_over_silos_gives_the_single_device_logits_and_greedy_continuation(string model, int members, PrefillRingSchedule schedule, int tokens)
    {
        var prompt = Golden(model).Prompts.First(p => p.Ids.Count == tokens);
        Assert.NotEqual(0, prompt.Ids.Count % (2 * members));
        var clock = Stopwatch.StartNew();
        var expected = OneDeviceLogits(model, prompt.Ids);
        var referenceSeconds = clock.Elapsed.TotalSeconds;
        var shards = Enumerable.Range(0, members).Select(s => fixture.ShardKey(s, model)).ToArray();

        var result = await Ring().Prefill(new RingPrefillRequest { TokenIds = prompt.Ids, Members = shards, Schedule = schedule, ReturnLogits = true });

        var maxDelta = expected.Zip(result.LastLogits!, (a, b) => MathF.Abs(a - b)).Max();
        TestContext.Current.TestOutputHelper?.WriteLine($"one device {referenceSeconds:F3} s; ring {result.Seconds:F3} s, max |Δ| {maxDelta}; "
            + string.Join("; ", result.Members.Select(m => $"member {m.Index}: {m.Rows} rows, {m.WallSeconds:F3} s, {m.BytesSent} B sent, wait {m.WaitSeconds:F3} s, staging {m.StagingSeconds:F3} s, lease {m.LeaseWaitSeconds:F3} s")));
        Assert.True(maxDelta <= Tolerance, $"{model}, {members} silos, {schedule}: max |Δlogit| {maxDelta} > {Tolerance}");
        Assert.Equal(prompt.Ids.Count, result.Members.Sum(m => m.Rows));
        Assert.All(result.Members, m => Assert.True(m.BytesSent > 0 && m.TransferSeconds > 0, $"member {m.Index}: {m.BytesSent} bytes, {m.TransferSeconds} s"));
        Assert.NotNull(result.ImportedPrefixKey);

        var decoder = fixture.Client.GetGrain<IModelShardGrain>(shards[0]);
        var engine = fixture.EngineOf(fixture.Cluster.Silos[0], model).Engine;
        var importedBefore = engine.Stats.ImportedPrefillTokens;
        var events = await decoder.Generate(new ShardGenerationRequest
        {
            PromptTokenIds = prompt.Ids,
            MaxTokens = prompt.Greedy.Count,
            Options = new GenerationOptions { Temperature = 0, IgnoreEos = true },
            ImportedPrefixKey = result.ImportedPrefixKey,
        }, Ct).ToListAsync(Ct);

        Assert.Equal(prompt.Greedy, events.Where(e => e.TokenId >= 0).Select(e => e.TokenId));
        Assert.Equal(prompt.Ids.Count - 1, engine.Stats.ImportedPrefillTokens - importedBefore);
        Assert.Equal(0, events[^1].CachedPromptTokens);
    }

    [Fact]
    public async Task Long_session_prompt_is_prefilled_by_a_ring_and_answers_like_one_device()
    {
        var text = Golden("tiny-llama").Prompts.First(p => p.Ids.Count > 1000).Text;
        await using var reference = InferenceEngine.Load(GoldenModel.Directory(), new EngineOptions { Threads = 1, KvCacheBlocks = 128 });
        var ids = reference.Tokenizer.Encode(text, addSpecialTokens: true);
        Assert.True(ids.Count >= RingCluster.RingThreshold);
        var expected = await GreedyAsync(reference, ids, 8);
        var ringsBefore = fixture.RingsSucceeded;
        var failedBefore = fixture.RingsFailed;
        // Every silo's view of the directory lists the replicas of now (an earlier test may have edited them).
        await fixture.RefreshViewsAsync();

        RequestContext.Set(RequestContextKeys.Model, "tiny-llama");
        var session = fixture.Client.GetGrain<ISessionGrain>("t/ring-long");
        var deltas = await session.Chat(new ChatTurn { Model = "tiny-llama", Prompt = text, Options = new GenerationOptions { Temperature = 0, MaxTokens = 8, IgnoreEos = true } }, Ct).ToListAsync(Ct);

        Assert.Equal(expected, deltas.Where(d => d.TokenId >= 0).Select(d => d.TokenId));
        Assert.True(
            ringsBefore + 1 == fixture.RingsSucceeded,
            fixture.RingsFailed > failedBefore
                ? $"the ring failed: {fixture.LastRingFailure}"
                : "the prompt was not prefilled by a ring, and no ring failed: the router found no other replica to use");
        var usage = deltas[^1].Usage!;
        Assert.Equal((ids.Count, 0), (usage.PromptTokens, usage.CachedPromptTokens));
        var kvSilo = (await session.History()).KvSilo!;
        Assert.True(fixture.EngineOf(kvSilo).Engine.Stats.ImportedPrefillTokens >= ids.Count - 1);
    }

    [Fact]
    public async Task Session_whose_ring_fails_prefills_on_its_own_device_and_still_answers()
    {
        var text = Golden("tiny-llama").Prompts.First(p => p.Ids.Count > 1000).Text;
        await using var reference = InferenceEngine.Load(GoldenModel.Directory(), new EngineOptions { Threads = 1, KvCacheBlocks = 128 });
        var expected = await GreedyAsync(reference, reference.Tokenizer.Encode(text, addSpecialTokens: true), 8);
        var failedBefore = fixture.RingsFailed;

        // The directory lists a replica whose engine is gone (a device that failed): the ring including it cannot start.
        var silo = fixture.Cluster.Silos[1].SiloAddress.ToParsableString();
        fixture.ListInEveryView(new ModelReplicaLoad { Model = "tiny-llama", ShardKey = new ModelShardKey("tiny-llama", 0, 1, silo, "cpu:9").ToString(), Silo = silo, Device = "cpu:9", TotalKvBlocks = 100_000, ReportedAt = DateTimeOffset.UtcNow });
        try
        {
            RequestContext.Set(RequestContextKeys.Model, "tiny-llama");
            var deltas = await fixture.Client.GetGrain<ISessionGrain>("t/ring-fails").Chat(new ChatTurn { Model = "tiny-llama", Prompt = text, Options = new GenerationOptions { Temperature = 0, MaxTokens = 8, IgnoreEos = true } }, Ct).ToListAsync(Ct);

            Assert.Equal(expected, deltas.Where(d => d.TokenId >= 0).Select(d => d.TokenId));
            Assert.Equal(failedBefore + 1, fixture.RingsFailed);
        }
        finally
        {
            await fixture.RefreshViewsAsync();
        }
    }

    [Fact]
    public async Task Short_session_prompt_is_prefilled_on_one_device()
    {
        var ringsBefore = fixture.RingsSucceeded + fixture.RingsFailed;
        RequestContext.Set(RequestContextKeys.Model, "tiny-llama");

        await fixture.Client.GetGrain<ISessionGrain>("t/ring-short").Chat(new ChatTurn { Model = "tiny-llama", Prompt = "A short prompt.", Options = new GenerationOptions { Temperature = 0, MaxTokens = 2 } }, Ct).ToListAsync(Ct);

        Assert.Equal(ringsBefore, fixture.RingsSucceeded + fixture.RingsFailed);
    }

    [Fact]
    public async Task Member_that_fails_ends_the_ring_at_once_naming_it_and_frees_the_other_engines()
    {
        var ids = Golden("tiny-llama").Prompts.First(p => p.Ids.Count > 1000).Ids;
        var live = fixture.ShardKey(0);
        var broken = fixture.ShardKey(1).Replace("/cpu", "/cpu:9", StringComparison.Ordinal);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InferenceException>(() => Ring().Prefill(new RingPrefillRequest { TokenIds = ids, Members = [live, broken], ReceiveTimeout = TimeSpan.FromMinutes(2) }));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the ring took {clock.Elapsed} to fail");
        Assert.Contains("ring member 1", error.Message);
        Assert.Contains("no engine for model 'tiny-llama' on cpu:9", error.Message);

        // Member 0 gave its engine back: it serves again.
        var after = await fixture.Client.GetGrain<IModelShardGrain>(live).Generate(new ShardGenerationRequest { PromptTokenIds = ids.Take(20).ToArray(), MaxTokens = 2 }, Ct).ToListAsync(Ct);
        Assert.NotNull(after[^1].FinishReason);
    }

    [Fact]
    public async Task Member_on_a_silo_that_is_not_in_the_cluster_fails_the_ring_as_unavailable()
    {
        var ids = Golden("tiny-llama").Prompts.First(p => p.Ids.Count > 1000).Ids;
        var gone = new ModelShardKey("tiny-llama", 0, 1, "127.0.0.1:1@1", "cpu").ToString();

        var error = await Assert.ThrowsAsync<InferenceException>(() => Ring().Prefill(new RingPrefillRequest { TokenIds = ids, Members = [fixture.ShardKey(0), gone], ReceiveTimeout = TimeSpan.FromMinutes(2) }));

        Assert.Equal(InferenceErrorKind.Unavailable, error.Kind);
        Assert.Contains("ring member 1", error.Message);
        Assert.Contains("not in the cluster", error.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task Rings_over_the_same_engines_in_opposite_orders_both_finish()
    {
        var ids = Golden("tiny-llama").Prompts.First(p => p.Ids.Count > 1000).Ids;
        var (a, b) = (fixture.ShardKey(0), fixture.ShardKey(1));
        var timeout = TimeSpan.FromSeconds(30);

        // Each ring borrows both engines; taken in member order, each ring could hold one the other waits for.
        var results = await Task.WhenAll(
            Ring().Prefill(new RingPrefillRequest { TokenIds = ids, Members = [a, b], GatherToFirst = false, ReceiveTimeout = timeout }),
            Ring().Prefill(new RingPrefillRequest { TokenIds = ids, Members = [b, a], GatherToFirst = false, ReceiveTimeout = timeout }));

        Assert.All(results, r => Assert.Equal(ids.Count, r.Members.Sum(m => m.Rows)));
    }

    private IPrefillRingGrain Ring() => fixture.Client.GetGrain<IPrefillRingGrain>(Guid.NewGuid().ToString("N"));

    private static GoldenReference Golden(string model) => GoldenReference.Load(Path.Combine(GoldenModel.Directory(model), "reference.json"));

    private static float[] OneDeviceLogits(string model, IReadOnlyList<int> ids)
    {
        var dir = GoldenModel.Directory(model);
        using var backend = ComputeDevices.Open("cpu", 1);
        using var store = WeightStore.Open(dir);
        using var weights = LlamaWeights.Load(backend, ModelConfig.Load(Path.Combine(dir, "config.json")), store);
        return OneDevicePrefill.LastLogits(backend, weights, ids, chunk: 256);
    }

    private static async Task<List<int>> GreedyAsync(InferenceEngine engine, IReadOnlyList<int> ids, int tokens)
    {
        var result = new List<int>();
        await foreach (var e in engine.GenerateAsync(new GenerationRequest { PromptTokenIds = ids, MaxTokens = tokens, IgnoreEos = true }, Ct))
        {
            if (e.TokenId >= 0)
            {
                result.Add(e.TokenId);
            }
        }

        return result;
    }
}
