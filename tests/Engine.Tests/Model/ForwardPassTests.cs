using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.Verification;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// The forward pass alone (no tokenizer, no scheduler) against transformers: teacher-forced over each golden
/// prompt's reference ids, argmax at every position exact and last logits within tolerance, at several prefill
/// chunk sizes (chunking must not change a single argmax).
/// </summary>
public sealed class ForwardPassTests
{
    public static TheoryData<string, int> Cases => new()
    {
        { "tiny-llama", 64 }, { "tiny-qwen2", 64 }, { "tiny-llama3-bf16", 64 }, { "tiny-mistral-sw8", 64 },
        { "tiny-llama", 7 }, { "tiny-mistral-sw8", 5 }, { "tiny-qwen2", 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Teacher_forced_logits_match_transformers(string model, int chunk)
    {
        var dir = RepoPaths.Golden(model);
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        var reference = GoldenReference.Load(Path.Combine(dir, "reference.json"));
        using var store = WeightStore.Open(dir);
        using var backend = ComputeDevices.Open("cpu", 2);
        using var weights = LlamaWeights.Load(backend, config, store);
        using var tf = new TeacherForcing(backend, weights, chunk, 16, 2048);
        var tolerance = ReferenceCheck.ToleranceFor(config.TorchDtype);
        foreach (var p in reference.Prompts)
        {
            var (argmax, last) = tf.Run(p.Ids);
            Assert.Equal(p.Argmax, argmax);
            var maxDelta = last.Zip(p.LastLogits, (a, b) => MathF.Abs(a - b)).Max();
            Assert.True(maxDelta <= tolerance, $"{model} '{p.Text[..Math.Min(20, p.Text.Length)]}': max |Δlogit| {maxDelta} > {tolerance}");
        }
    }
}
