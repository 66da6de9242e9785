using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Verification;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>The rings' single-device reference: chunked prefill keeping only the last logits matches teacher forcing and the golden logits.</summary>
public sealed class OneDevicePrefillTests
{
    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-mistral-sw8")]
    public void Chunked_last_logits_match_teacher_forcing_and_the_golden_reference(string model)
    {
        var dir = RepoPaths.Golden(model);
        var prompt = GoldenReference.Load(Path.Combine(dir, "reference.json")).Prompts.First(p => p.Ids.Count > 1000);
        using var backend = ComputeDevices.Open("cpu", 1);
        using var store = WeightStore.Open(dir);
        using var weights = LlamaWeights.Load(backend, ModelConfig.Load(Path.Combine(dir, "config.json")), store);
        float[] expected;
        using (var tf = new TeacherForcing(backend, weights, 64, 16, 2048))
        {
            expected = tf.Run(prompt.Ids).LastLogits;
        }

        var actual = OneDevicePrefill.LastLogits(backend, weights, prompt.Ids, chunk: 500);

        Assert.True(expected.Zip(actual, (a, b) => MathF.Abs(a - b)).Max() <= 1e-5f);
        Assert.True(prompt.LastLogits.Zip(actual, (a, b) => MathF.Abs(a - b)).Max() <= 1e-3f);
    }
}
