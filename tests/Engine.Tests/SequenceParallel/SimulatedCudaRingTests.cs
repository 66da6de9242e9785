using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Verification;
using InferMesh.Kernels;
using InferMesh.Kernels.Cpu;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>
/// The whole ring on the CUDA backend's code without a GPU: two members on ILGPU's simulated device (bf16), block
/// attention forced onto its GEMM path, positions read from host mirrors that the peer copies carry along, the device
/// transport, and the KV gathered for decode. The last-position logits agree with the fp32 CPU reference within bf16
/// tolerance and pick the same token.
/// </summary>
[Trait("Category", "GpuSimulated")]
public sealed class SimulatedCudaRingTests
{
    [Fact]
    public void TokenRing_on_two_simulated_cuda_members_matches_the_cpu_reference()
    {
        // One schedule: the one-way ring runs the same kernels and transport (the simulated device is slow).
        const RingScheduleKind kind = RingScheduleKind.TokenRing;
        var dir = RepoPaths.Golden("tiny-llama");
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        var prompt = GoldenReference.Load(Path.Combine(dir, "reference.json")).Prompts.First(p => p.Ids.Count == 22);
        var ids = prompt.Ids.ToArray();
        using var store = WeightStore.Open(dir);
        var devices = new List<(IComputeBackend Backend, LlamaWeights Weights)>();
        try
        {
            for (var m = 0; m < 2; m++)
            {
                var backend = new CudaBackend(DType.BF16) { BlockGemmMinPairs = 0, ScoreBudgetFloats = config.NumAttentionHeads * 16 * 12 };
                devices.Add((backend, LlamaWeights.Load(backend, config, store)));
            }

            using var ring = new SequenceParallelPrefill(devices, ids, SequencePartition.ZigZag(ids.Length, 2), new TokenRingSchedule());
            using var sequence = new SingleDeviceSequence(devices[0].Backend, devices[0].Weights, ids.Length + 2, 16);

            var logits = ring.Run(0, sequence);

            var expected = prompt.LastLogits.ToArray();
            var scale = expected.Max(MathF.Abs);
            var maxDelta = expected.Zip(logits, (a, b) => MathF.Abs(a - b)).Max();
            Assert.True(maxDelta <= 0.05f * scale, $"{kind}: max |Δlogit| {maxDelta} (largest logit {scale})");
            Assert.Equal(SingleDeviceSequence.Argmax(expected), SingleDeviceSequence.Argmax(logits));
            Assert.Equal(prompt.Greedy.Take(2), sequence.Greedy(logits, 2));
        }
        finally
        {
            foreach (var (backend, weights) in devices)
            {
                weights.Dispose();
                backend.Dispose();
            }
        }
    }
}
