using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Kernels;
using static InferMesh.Engine.Tests.Model.Qwen3ForwardTests;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// granite (GraniteForCausalLM: a Llama with embedding, attention, residual and logits scalars): a small random
/// checkpoint run through the engine against <see cref="NaiveQwen3"/> with the same four scalars.
/// </summary>
public sealed class GraniteForwardTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"infermesh-granite-{Guid.NewGuid():N}");

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
    public void Granite_scalars_match_the_float64_transcription(int chunk)
    {
        var tensors = WriteCheckpoint(_folder, seed: 41, qkNorm: false, configure: c =>
        {
            c["model_type"] = "granite";
            c["architectures"] = new JsonArray("GraniteForCausalLM");
            c["embedding_multiplier"] = 12.0;
            c["attention_multiplier"] = 0.015625;
            c["residual_multiplier"] = 0.22;
            c["logits_scaling"] = 8.0;
        });
        int[] ids = [3, 17, 90, 4, 4, 55, 12, 81, 33, 2, 60, 71, 9];
        var expected = NaiveQwen3.Logits(tensors, ids, Layers, Heads, KvHeads, HeadDim, 1e-6, 1_000_000.0, granite: new GraniteScalars(12.0, 0.015625, 0.22, 8.0));

        TeacherForcedCheck.AssertMatches(_folder, ids, expected, chunk);
    }

    [Fact]
    public void Unit_granite_multipliers_are_no_ops_but_an_attention_multiplier_of_one_still_replaces_the_inverse_root()
    {
        WriteCheckpoint(_folder, seed: 42, qkNorm: false, configure: c =>
        {
            c["model_type"] = "granite";
            c["attention_multiplier"] = 1.0;
        });
        var config = ModelConfig.Load(Path.Combine(_folder, "config.json"));

        Assert.Null(config.EmbeddingScale);
        Assert.Null(config.ResidualMultiplier);
        Assert.Null(config.LogitsDivisor);
        Assert.Equal(1f, config.AttentionScale); // granite scales scores by attention_multiplier, 1.0 included
    }
}
