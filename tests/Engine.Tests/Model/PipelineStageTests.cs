using InferMesh.Engine.KvCache;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.Verification;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// A model split into two layer ranges on two devices (pipeline stages: hidden states pass from the first stage to
/// the second) gives the same greedy tokens and logits as the whole model on one device.
/// </summary>
public sealed class PipelineStageTests
{
    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    public void Two_stage_split_gives_the_same_greedy_tokens_as_one_stage(string model)
    {
        var dir = RepoPaths.Golden(model);
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        var prompt = GoldenReference.Load(Path.Combine(dir, "reference.json")).Prompts[1];
        using var store = WeightStore.Open(dir);
        var split = config.NumHiddenLayers / 2;

        var whole = Greedy(config, store, [(0, config.NumHiddenLayers)], prompt.Ids, 10);
        var staged = Greedy(config, store, [(0, split), (split, config.NumHiddenLayers - split)], prompt.Ids, 10);

        Assert.Equal(prompt.Greedy.Take(10), whole.Tokens);
        Assert.Equal(whole.Tokens, staged.Tokens);
        Assert.Equal(whole.FirstLogits, staged.FirstLogits);
    }

    /// <summary>Prefill then greedy decode through the given stages, each on its own CPU backend and KV pool.</summary>
    private static (List<int> Tokens, float[] FirstLogits) Greedy(ModelConfig config, WeightStore store, (int First, int Count)[] stages, IReadOnlyList<int> promptIds, int steps)
    {
        const int blockSize = 16, maxBlocks = 16;
        var backends = stages.Select(_ => ComputeDevices.Open("cpu", 1)).ToArray();
        var weights = stages.Select((s, i) => LlamaWeights.Load(backends[i], config, store, s.First, s.Count)).ToArray();
        var models = weights.Select((w, i) => new LlamaModel(backends[i], w, blockSize, 256, 1, maxBlocks)).ToArray();
        var caches = stages.Select((s, i) => new KvCachePool(backends[i], s.Count, maxBlocks, blockSize, config.NumKeyValueHeads * config.HeadDim)).ToArray();
        try
        {
            var tokens = promptIds.ToList();
            var table = Enumerable.Range(0, maxBlocks).ToArray();
            var batch = new StepBatch(256, 1, maxBlocks, blockSize);
            var hidden = new float[256 * config.HiddenSize];
            var logits = new float[config.VocabSize];
            float[]? first = null;
            var generated = new List<int>();
            var start = 0;
            for (var step = 0; step < steps; step++)
            {
                batch.Clear();
                batch.Add(tokens.ToArray(), start, tokens.Count - start, table, needsLogits: true);
                DeviceTensor? output = null;
                for (var s = 0; s < stages.Length; s++)
                {
                    if (s > 0)
                    {
                        // The previous stage's hidden states cross to this stage's device.
                        backends[s].Upload(hidden.AsSpan(0, batch.TokenCount * config.HiddenSize), models[s].HiddenStates(batch.TokenCount));
                    }

                    output = models[s].Forward(batch, caches[s]);
                    if (s < stages.Length - 1)
                    {
                        backends[s].Download(models[s].HiddenStates(batch.TokenCount), hidden.AsSpan(0, batch.TokenCount * config.HiddenSize));
                    }
                }

                backends[^1].Download(output!, logits);
                first ??= (float[])logits.Clone();
                var next = Array.IndexOf(logits, logits.Max());
                generated.Add(next);
                start = tokens.Count;
                tokens.Add(next);
            }

            return (generated, first!);
        }
        finally
        {
            foreach (var d in models.Cast<IDisposable>().Concat(caches).Concat(weights).Concat(backends))
            {
                d.Dispose();
            }
        }
    }
}
