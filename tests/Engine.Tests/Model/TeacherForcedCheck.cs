using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// The check every float64-transcription test ends with: the checkpoint in a folder, validated and teacher forced over
/// the ids on the CPU in chunks, gives the transcription's last-position logits within 1e-4 and its argmax everywhere.
/// </summary>
internal static class TeacherForcedCheck
{
    public static void AssertMatches(string folder, int[] ids, double[][] expected, int chunk, int? rotaryContextLength = null)
    {
        var config = ModelConfig.Load(Path.Combine(folder, "config.json"));
        using var store = WeightStore.Open(folder);
        new WeightLayout(config).Validate(store);
        using var backend = ComputeDevices.Open("cpu", 2);
        using var weights = LlamaWeights.Load(backend, config, store, rotaryContextLength: rotaryContextLength);
        using var tf = new TeacherForcing(backend, weights, chunk, 16, 256);
        var (argmax, last) = tf.Run(ids);

        var maxDelta = last.Select((v, i) => Math.Abs(v - expected[^1][i])).Max();
        Assert.True(maxDelta < 1e-4, $"max |Δlogit| {maxDelta}");
        Assert.Equal(expected.Select(row => Array.IndexOf(row, row.Max())), argmax);
    }
}
