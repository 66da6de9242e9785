using InferMesh.Engine.KvCache;
using InferMesh.Engine.Model;
using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

public sealed class DecodeAllocationTests
{
    [Fact]
    public void Steady_state_decode_step_allocates_nothing_per_token()
    {
        var config = ModelConfig.Load(Path.Combine(RepoPaths.Golden("tiny-llama"), "config.json"));
        using var store = WeightStore.Open(RepoPaths.Golden("tiny-llama"));
        using var backend = ComputeDevices.Open("cpu", 2);
        using var weights = LlamaWeights.Load(backend, config, store);
        const int sequences = 4, blockSize = 16, maxBlocks = 16;
        using var model = new LlamaModel(backend, weights, blockSize, 64, sequences, maxBlocks);
        using var cache = new KvCachePool(backend, config.NumHiddenLayers, sequences * maxBlocks, blockSize, config.NumKeyValueHeads * config.HeadDim);
        var batch = new StepBatch(64, sequences, maxBlocks, blockSize);
        var tables = Enumerable.Range(0, sequences).Select(s => Enumerable.Range(s * maxBlocks, maxBlocks).ToList()).ToArray();
        var tokens = Enumerable.Range(0, sequences).Select(s => Enumerable.Range(3 + s, 200).ToArray()).ToArray();
        var ids = new int[sequences];

        void DecodeStep(int position)
        {
            batch.Clear();
            for (var s = 0; s < sequences; s++)
            {
                batch.Add(tokens[s], position, 1, tables[s], needsLogits: true);
            }

            var logits = model.Forward(batch, cache)!;
            model.ArgmaxOnDevice(logits, ids);
        }

        for (var p = 0; p < 8; p++)
        {
            DecodeStep(p); // warm-up: views, scratch buffers, worker threads
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        const int steps = 32;
        for (var p = 8; p < 8 + steps; p++)
        {
            DecodeStep(p);
        }

        var perToken = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)(steps * sequences);
        Assert.True(perToken == 0, $"decode allocated {perToken:F1} bytes per token on the step thread");
    }
}
