using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Verification;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>
/// End to end after a ring: the KV the members hold, gathered into one device's paged cache through the device
/// transport, continues greedily exactly as transformers does (the golden greedy tokens), for both schedules; and
/// chunked single-device prefill (the ring's reference) gives the golden last-position logits.
/// </summary>
public sealed class RingContinuationTests
{
    [Theory]
    [InlineData("tiny-llama", 2, RingScheduleKind.TokenRing)]
    [InlineData("tiny-llama", 3, RingScheduleKind.OneWayRing)]
    [InlineData("tiny-mistral-sw8", 2, RingScheduleKind.OneWayRing)]
    [InlineData("tiny-mistral-sw8", 3, RingScheduleKind.TokenRing)]
    public void Greedy_continuation_from_the_gathered_ring_kv_matches_the_reference(string model, int members, RingScheduleKind kind)
    {
        var (config, prompt, devices) = Load(model, members);
        try
        {
            var ids = prompt.Ids.ToArray();
            IRingSchedule schedule = kind == RingScheduleKind.TokenRing ? new TokenRingSchedule() : new OneWayRingSchedule();
            using var ring = new SequenceParallelPrefill(devices, ids, SequencePartition.ZigZag(ids.Length, members), schedule);
            using var sequence = new SingleDeviceSequence(devices[0].Backend, devices[0].Weights, ids.Length + prompt.Greedy.Count, 16);

            var logits = ring.Run(0, sequence);
            var tokens = sequence.Greedy(logits, prompt.Greedy.Count);

            Assert.Equal(prompt.Greedy, tokens);
            Assert.Equal(ids.Length + prompt.Greedy.Count - 1, sequence.Length);
            long kvBytes = 2L * config.NumHiddenLayers * config.NumKeyValueHeads * config.HeadDim * sizeof(float);
            Assert.True(ring.Traffic.BytesSent >= (ids.Length - ring.Members[0].Rows) * kvBytes, "the other members' KV crossed the ring");
        }
        finally
        {
            Release(devices);
        }
    }

    [Theory]
    [InlineData("tiny-llama", 7)]
    [InlineData("tiny-qwen2", 64)]
    public void Chunked_single_device_prefill_gives_the_reference_logits(string model, int chunk)
    {
        var (_, prompt, devices) = Load(model, 1);
        try
        {
            using var sequence = new SingleDeviceSequence(devices[0].Backend, devices[0].Weights, prompt.Ids.Count, chunk);

            var logits = sequence.Prefill(prompt.Ids);

            var maxDelta = prompt.LastLogits.Zip(logits, (a, b) => MathF.Abs(a - b)).Max();
            Assert.True(maxDelta <= 1e-3f, $"{model}, chunk {chunk}: max |Δlogit| {maxDelta} against transformers");
            Assert.Equal(prompt.Ids.Count, sequence.Length);
        }
        finally
        {
            Release(devices);
        }
    }

    private static (ModelConfig Config, GoldenPrompt Prompt, List<(IComputeBackend Backend, LlamaWeights Weights)> Devices) Load(string model, int members)
    {
        var dir = RepoPaths.Golden(model);
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        // A prompt that 2N does not divide, so the zig-zag chunks differ in length.
        var prompt = GoldenReference.Load(Path.Combine(dir, "reference.json")).Prompts.First(p => p.Ids.Count >= 20 && p.Ids.Count % (2 * Math.Max(2, members)) != 0);
        using var store = WeightStore.Open(dir);
        var devices = new List<(IComputeBackend, LlamaWeights)>();
        for (var m = 0; m < members; m++)
        {
            var backend = ComputeDevices.Open("cpu", 1);
            devices.Add((backend, LlamaWeights.Load(backend, config, store)));
        }

        return (config, prompt, devices);
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
