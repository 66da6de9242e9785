using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;
using static InferMesh.Engine.Tests.Model.Qwen3ForwardTests;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// smollm3 (SmolLM3ForCausalLM: a Llama whose every no_rope_layer_interval-th layer applies no rotary embedding): a
/// small random checkpoint run through the engine against <see cref="NaiveQwen3"/> with its NoPE layer left unrotated.
/// </summary>
public sealed class SmolLm3ForwardTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"infermesh-smollm3-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(3)]
    public void A_nope_layer_attends_without_rotation_and_matches_the_float64_transcription(int chunk)
    {
        var tensors = WriteCheckpoint(_folder, seed: 31, qkNorm: false, configure: c =>
        {
            c["model_type"] = "smollm3";
            c["architectures"] = new JsonArray("SmolLM3ForCausalLM");
            c["no_rope_layers"] = new JsonArray(1, 0);
            c["rope_theta"] = 2_000_000.0;
        });
        int[] ids = [3, 17, 90, 4, 4, 55, 12, 81, 33, 2, 60, 71, 9];
        var expected = NaiveQwen3.Logits(tensors, ids, Layers, Heads, KvHeads, HeadDim, 1e-6, 2_000_000.0, ropeLayers: [true, false]);

        TeacherForcedCheck.AssertMatches(_folder, ids, expected, chunk);
        Assert.Equal([true, false], ModelConfig.Load(Path.Combine(_folder, "config.json")).RopeLayers);
    }
}
