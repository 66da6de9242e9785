using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Serving;
using InferMesh.Engine.Verification;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Serving;

/// <summary>
/// Gather-then-decode: a ring whose member 0 runs on an engine's leased device gathers every member's KV into that
/// engine's paged cache; a request naming the import then computes only its last prompt token and decodes the golden
/// greedy continuation, as if the engine had prefilled the prompt itself.
/// </summary>
public sealed class RingImportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("tiny-llama", 2, RingScheduleKind.TokenRing)]
    [InlineData("tiny-mistral-sw8", 3, RingScheduleKind.OneWayRing)]
    public async Task Engine_decodes_the_golden_continuation_from_KV_a_ring_gathered_into_it(string model, int members, RingScheduleKind kind)
    {
        var dir = RepoPaths.Golden(model);
        var prompt = GoldenReference.Load(Path.Combine(dir, "reference.json")).Prompts.First(p => p.Ids.Count == 33);
        var ids = prompt.Ids.ToArray();
        await using var engine = InferenceEngine.Load(dir, new EngineOptions { Threads = 1, KvCacheBlocks = 16 });
        var others = OtherDevices(dir, members - 1);
        try
        {
            using (var lease = await engine.LeaseDeviceAsync(Ct))
            {
                using var import = lease.BeginImport(ids) ?? throw new InvalidOperationException("16 blocks hold 33 tokens");
                using var prefill = new SequenceParallelPrefill([(lease.Backend, lease.Weights), .. others], ids, SequencePartition.ZigZag(ids.Length, members), Schedule(kind));
                prefill.Run(0, import);
                import.Commit("ring-1");
            }

            var (tokens, final) = await EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = ids, MaxTokens = prompt.Greedy.Count, IgnoreEos = true, ImportedPrefixKey = "ring-1" }, Ct);

            Assert.Equal(prompt.Greedy, tokens);
            Assert.Equal(ids.Length - 1, engine.Stats.ImportedPrefillTokens);
            Assert.Equal(1, engine.Stats.PrefillTokensComputed);
            Assert.Equal(0, final.CachedPromptTokens);
        }
        finally
        {
            Release(others);
        }
    }

    [Fact]
    public async Task Request_naming_an_unknown_import_prefills_normally()
    {
        var dir = RepoPaths.Golden("tiny-llama");
        var prompt = GoldenReference.Load(Path.Combine(dir, "reference.json")).Prompts.First(p => p.Ids.Count == 33);
        await using var engine = InferenceEngine.Load(dir, new EngineOptions { Threads = 1, KvCacheBlocks = 16 });

        var (tokens, _) = await EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = prompt.Ids, MaxTokens = 8, IgnoreEos = true, ImportedPrefixKey = "never-imported" }, Ct);

        Assert.Equal(prompt.Greedy.Take(8), tokens);
        Assert.Equal(0, engine.Stats.ImportedPrefillTokens);
        Assert.Equal(prompt.Ids.Count, engine.Stats.PrefillTokensComputed);
    }

    [Fact]
    public async Task Released_import_gives_its_blocks_back()
    {
        var dir = RepoPaths.Golden("tiny-llama");
        await using var engine = InferenceEngine.Load(dir, new EngineOptions { Threads = 1, KvCacheBlocks = 16 });
        using (var lease = await engine.LeaseDeviceAsync(Ct))
        {
            using var import = lease.BeginImport(Enumerable.Range(1, 40).ToArray())!;
            import.Commit("unclaimed");
        }

        await engine.WaitForIdleAsync();
        Assert.Equal(3, engine.Stats.UsedKvBlocks);

        engine.ReleaseImport("unclaimed");
        await engine.WaitForIdleAsync();

        Assert.Equal(0, engine.Stats.UsedKvBlocks);
    }

    [Fact]
    public async Task Import_larger_than_the_cache_is_refused()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 1, KvCacheBlocks = 4 });
        using var lease = await engine.LeaseDeviceAsync(Ct);

        Assert.Null(lease.BeginImport(Enumerable.Range(1, 65).ToArray()));
    }

    private static IRingSchedule Schedule(RingScheduleKind kind) => kind == RingScheduleKind.TokenRing ? new TokenRingSchedule() : new OneWayRingSchedule();

    private static List<(IComputeBackend Backend, LlamaWeights Weights)> OtherDevices(string dir, int count)
    {
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        using var store = WeightStore.Open(dir);
        var devices = new List<(IComputeBackend, LlamaWeights)>();
        for (var m = 0; m < count; m++)
        {
            var backend = ComputeDevices.Open("cpu", 1);
            devices.Add((backend, LlamaWeights.Load(backend, config, store)));
        }

        return devices;
    }

    private static void Release(List<(IComputeBackend Backend, LlamaWeights Weights)> devices)
    {
        foreach (var (backend, weights) in devices)
        {
            weights.Dispose();
            backend.Dispose();
        }
    }
}
