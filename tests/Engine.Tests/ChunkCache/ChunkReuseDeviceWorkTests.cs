using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.ChunkCache;

/// <summary>
/// What the reuse path costs a device, counted on the CPU backend: a GPU pays for every allocation (and a device-wide
/// synchronisation when it is freed), every download (the host waits for the stream) and every launch. Reusing
/// chunks must add none of the first two and a number of launches that does not grow with the chunks.
/// </summary>
public sealed class ChunkReuseDeviceWorkTests
{

    private static int[][] Chunks(int count, int length) =>
        Enumerable.Range(0, count).Select(c => Enumerable.Range(0, length).Select(t => 300 + (97 * c) + ((t * 13) % 89)).ToArray()).ToArray();

    private static GenerationRequest Rag(ChunkReusePolicy policy, IEnumerable<int[]> chunks) =>
        RagPrompt.Request(chunks, policy, 4, SamplingParams.Greedy with { Logprobs = true, TopLogprobs = 5 });

    private static readonly ChunkReusePolicy Reuse = new() { Mode = ChunkReuseMode.FixedRatio, FixedRatio = 0.25, RecencyWindow = 0 };

    private static async Task<TokenEvent> Run(InferenceEngine engine, GenerationRequest request)
    {
        TokenEvent? last = null;
        await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            last = e;
        }

        await engine.WaitForIdleAsync();
        Assert.Null(last!.Error);
        return last;
    }

    /// <summary>Device work of serving the chunks once (stored), then reordered (reused): counter deltas of the second request.</summary>
    private static async Task<(long Allocations, long Uploads, long Downloads, long Synchronizations, long Launches, long Steps, TokenEvent Last)> ReuseWork(int count, int length)
    {
        using var cpu = ComputeDevices.Open("cpu", 1);
        var backend = new CountingBackend(cpu);
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Backend = backend });
        var chunks = Chunks(count, length);
        await Run(engine, Rag(Reuse, chunks));
        var before = backend.Snapshot();
        var steps = engine.Stats.Steps;
        var last = await Run(engine, Rag(Reuse, chunks.Reverse()));
        var after = backend.Snapshot();
        Assert.Equal(count, engine.ChunkStats.Hits);
        return (after.Allocations - before.Allocations, after.Uploads - before.Uploads, after.Downloads - before.Downloads,
            after.Synchronizations - before.Synchronizations, after.Launches - before.Launches, engine.Stats.Steps - steps, last);
    }

    [Fact]
    public async Task Reusing_chunks_allocates_nothing_and_downloads_only_each_steps_logits()
    {
        var work = await ReuseWork(count: 4, length: 40);

        Assert.True(work.Last.CachedPromptTokens > 100, $"only {work.Last.CachedPromptTokens} prompt tokens reused");
        Assert.Equal(0, work.Allocations);
        Assert.Equal(0, work.Synchronizations);
        Assert.Equal(work.Steps, work.Downloads);
    }

    [Fact]
    public async Task Device_work_of_reusing_chunks_does_not_grow_with_their_number_or_length()
    {
        var few = await ReuseWork(count: 2, length: 32);
        var longer = await ReuseWork(count: 2, length: 96);
        var more = await ReuseWork(count: 6, length: 32);

        Assert.Equal(few.Steps, longer.Steps);
        Assert.Equal(few.Steps, more.Steps);
        Assert.Equal((few.Uploads, few.Launches), (longer.Uploads, longer.Launches));
        Assert.Equal((few.Uploads, few.Launches), (more.Uploads, more.Launches));
    }

    [Fact]
    public async Task Storing_chunks_costs_the_same_device_work_whatever_their_length()
    {
        async Task<(long, long, long, long)> StoreWork(int length)
        {
            using var cpu = ComputeDevices.Open("cpu", 1);
            var backend = new CountingBackend(cpu);
            await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Backend = backend });
            await Run(engine, Rag(Reuse, Chunks(1, 24))); // warms the chunk arena and scorer buffers up
            var before = backend.Snapshot();
            await Run(engine, Rag(Reuse, Chunks(3, length).Skip(1)));
            var after = backend.Snapshot();
            Assert.Equal(3, engine.ChunkStats.Variants);
            return (after.Uploads - before.Uploads, after.Downloads - before.Downloads, after.Synchronizations - before.Synchronizations, after.Launches - before.Launches);
        }

        Assert.Equal(await StoreWork(24), await StoreWork(64));
    }
}
