using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.ChunkCache;

/// <summary>RoPE rotations compose: keys computed at p and rotated by q−p equal keys computed at q.</summary>
public sealed class KeyRerotationTests
{
    [Theory]
    [InlineData("tiny-llama", 5, 900)]
    [InlineData("tiny-llama3-bf16", 700, 3)]
    [InlineData("tiny-qwen2", 0, 2047)]
    public void Rerotating_keys_from_p_to_q_equals_computing_them_at_q(string model, int p, int q)
    {
        var config = ModelConfig.Load(Path.Combine(RepoPaths.Golden(model), "config.json"));
        var (invFreq, scaling) = RotaryFrequencies.ForCheckpoint(config, config.MaxPositionEmbeddings);
        using var backend = ComputeDevices.Open("cpu", 1);
        var width = config.NumKeyValueHeads * config.HeadDim;
        var random = new Random(p + q);
        var keys = Enumerable.Range(0, 3 * width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        using var freq = backend.Allocate(1, invFreq.Length, DType.F32);
        backend.Upload(invFreq, freq);

        float[] Rotate(float[] input, int[] positions, float scale)
        {
            using var t = backend.Allocate(3, width);
            using var pos = backend.Allocate(3, 1, DType.I32);
            backend.Upload(input, t);
            backend.Upload(positions, pos);
            backend.Rope(t, config.HeadDim, pos, freq, scale);
            var result = new float[input.Length];
            backend.Download(t, result);
            return result;
        }

        var atP = Rotate(keys, [p, p, p], scaling);
        var moved = Rotate(atP, [q - p, q - p, q - p], 1f);
        var atQ = Rotate(keys, [q, q, q], scaling);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(Math.Abs(moved[i] - atQ[i]) <= 1e-5, $"element {i}: {moved[i]} vs {atQ[i]}");
        }
    }
}
