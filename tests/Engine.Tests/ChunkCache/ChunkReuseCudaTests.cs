using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Engine.Tests.ChunkCache;

/// <summary>
/// The chunk reuse path on the CUDA backend (bf16 KV): the same device-work guarantees as on the CPU, and reuse
/// errors no larger than the CPU's plus bf16 rounding. Skipped, with the reason, where no GPU can be used.
/// </summary>
[Trait("Category", "Gpu")]
public sealed class ChunkReuseCudaTests
{
    private static readonly int[][] Pool = Enumerable.Range(0, 4).Select(c => Enumerable.Range(0, 96).Select(t => 300 + (97 * c) + ((t * 13) % 89)).ToArray()).ToArray();
    private static readonly ChunkReusePolicy Reuse = new() { Mode = ChunkReuseMode.FixedRatio, FixedRatio = 0.25, RecencyWindow = 0 };

    private static IComputeBackend Cuda()
    {
        var reason = CudaBackend.UnavailableReason();
        Assert.SkipWhen(reason is not null, reason ?? "");
        return new CudaBackend();
    }

    private static GenerationRequest Rag(ChunkReusePolicy policy, params int[] chunks) =>
        RagPrompt.Request(chunks.Select(c => Pool[c]), policy, 4, SamplingParams.Greedy with { Logprobs = true, TopLogprobs = 5 });

    private static async Task<TokenLogprob> First(InferenceEngine engine, GenerationRequest request)
    {
        TokenLogprob? first = null;
        await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            Assert.Null(e.Error);
            first ??= e.Logprob;
        }

        await engine.WaitForIdleAsync();
        return first!;
    }

    [Fact]
    public async Task On_cuda_reusing_chunks_allocates_nothing_syncs_nothing_and_downloads_each_steps_logits_once()
    {
        using var cuda = Cuda();
        var backend = new CountingBackend(cuda);
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama3-bf16"), new EngineOptions { Backend = backend, UseGraphs = false });
        await First(engine, Rag(Reuse, 0, 1, 2, 3));
        var before = backend.Snapshot();
        var steps = engine.Stats.Steps;
        await First(engine, Rag(Reuse, 3, 1, 0, 2));
        var after = backend.Snapshot();

        Assert.Equal(4, engine.ChunkStats.Hits);
        Assert.Equal(0, after.Allocations - before.Allocations);
        Assert.Equal(0, after.Synchronizations - before.Synchronizations);
        Assert.Equal(engine.Stats.Steps - steps, after.Downloads - before.Downloads);
    }

    [Fact]
    public async Task On_cuda_reused_chunks_shift_the_first_token_no_more_than_on_the_cpu_plus_bf16_rounding()
    {
        async Task<double> ReuseShift(IComputeBackend backend)
        {
            await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama3-bf16"), new EngineOptions { Backend = backend, UseGraphs = false });
            await First(engine, Rag(Reuse, 0, 1, 2, 3));
            var reused = await First(engine, Rag(Reuse, 2, 0, 3, 1));
            await using var fresh = InferenceEngine.Load(RepoPaths.Golden("tiny-llama3-bf16"), new EngineOptions { Backend = backend, UseGraphs = false });
            var full = await First(fresh, Rag(new ChunkReusePolicy { Mode = ChunkReuseMode.FullRecompute }, 2, 0, 3, 1));
            var lookup = reused.TopAlternatives.ToDictionary(a => a.TokenId, a => a.Logprob);
            return full.TopAlternatives.Max(a => Math.Abs(a.Logprob - lookup.GetValueOrDefault(a.TokenId, -30f)));
        }

        using var cpu = ComputeDevices.Open("cpu", 2);
        using var cuda = Cuda();
        var onCpu = await ReuseShift(cpu);
        var onCuda = await ReuseShift(cuda);

        Assert.True(onCuda <= onCpu + 0.1, $"largest top-5 logprob shift from reuse: {onCuda:F4} on CUDA, {onCpu:F4} on the CPU");
    }
}
