using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;

namespace InferMesh.Engine.Tests.Loading;

/// <summary>Real Gemma config.json files (tests/fixtures/configs/gemma, sources in SOURCES.md) read as transformers reads them.</summary>
public sealed class GemmaConfigTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"infermesh-gemma-config-{Guid.NewGuid():N}");

    public GemmaConfigTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static ModelConfig Fixture(string name) => ModelConfig.Load(RepoPaths.Fixture("configs", "gemma", name + ".json"));

    [Fact]
    public void Gemma3_1b_has_five_local_layers_per_global_one_with_their_own_rope_bases()
    {
        var c = Fixture("gemma-3-1b-it");

        Assert.Equal("gemma3_text", c.ModelType);
        Assert.Equal(Enumerable.Range(0, 26).Select(i => (i + 1) % 6 == 0 ? 0 : 512), Enumerable.Range(0, 26).Select(c.SlidingWindowForLayer));
        Assert.Equal(1_000_000, c.Rope.Theta);
        Assert.Equal(10_000, c.SlidingRope!.Theta);
        Assert.Equal("default", c.SlidingRope.Type);
        Assert.True(c.QkNorm);
        Assert.True(c.SandwichNorms);
        Assert.True(c.NormWeightsAreOffsets);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(MlpActivation.GeluTanh, c.Activation);
        Assert.Equal(0.0625f, c.AttentionScale);
        Assert.Null(c.AttentionSoftCap);
        Assert.Null(c.FinalLogitSoftCap);
        Assert.Equal([1, 106], c.EosTokenIds);
    }

    [Fact]
    public void Gemma3_embedding_scale_is_the_square_root_of_hidden_size_rounded_to_bf16()
    {
        // √1152 = 33.941…; a bf16 checkpoint multiplies by torch.tensor(33.941, dtype=bfloat16) = 34.0.
        Assert.Equal(34f, Fixture("gemma-3-1b-it").EmbeddingScale);
        Assert.Equal(48f, Fixture("gemma-2-2b-it").EmbeddingScale); // √2304 = 48, exact in bf16 too
    }

    [Fact]
    public void Gemma3_4b_reads_its_sparse_text_config_over_transformers_defaults()
    {
        var c = Fixture("gemma-3-4b-it");

        Assert.Equal("gemma3", c.ModelType);
        Assert.Equal(2560, c.HiddenSize);
        Assert.Equal(34, c.NumHiddenLayers);
        Assert.Equal(8, c.NumAttentionHeads);
        Assert.Equal(4, c.NumKeyValueHeads);
        Assert.Equal(256, c.HeadDim);
        Assert.Equal(262208, c.VocabSize);
        Assert.Equal(131072, c.MaxPositionEmbeddings);
        Assert.Equal(1024, c.SlidingWindowForLayer(0));
        Assert.Equal(0, c.SlidingWindowForLayer(5));
        Assert.Equal("linear", c.Rope.Type);
        Assert.Equal(8, c.Rope.Factor);
        Assert.Equal(1_000_000, c.Rope.Theta);
        Assert.Equal("default", c.SlidingRope!.Type);
        Assert.Equal("bfloat16", c.TorchDtype);
        Assert.Equal([1, 106], c.EosTokenIds);
        Assert.Equal(["language_model.model.", "model.language_model."], c.WeightPrefixes);
    }

    [Fact]
    public void Gemma2_2b_caps_attention_scores_and_logits_and_slides_on_even_layers()
    {
        var c = Fixture("gemma-2-2b-it");

        Assert.Equal(50f, c.AttentionSoftCap);
        Assert.Equal(30f, c.FinalLogitSoftCap);
        Assert.Equal(4096, c.SlidingWindowForLayer(0));
        Assert.Equal(0, c.SlidingWindowForLayer(1));
        Assert.False(c.QkNorm);
        Assert.True(c.SandwichNorms);
        Assert.Null(c.SlidingRope);
        Assert.Equal(0.0625f, c.AttentionScale);
    }

    [Fact]
    public void Gemma1_ignores_hidden_act_gelu_and_runs_the_tanh_approximation_without_sandwich_norms()
    {
        var c = Fixture("gemma-7b");

        Assert.Equal(MlpActivation.GeluTanh, c.Activation);
        Assert.False(c.SandwichNorms);
        Assert.Null(c.AttentionScale); // 1/√head_dim, as GemmaAttention
        Assert.Null(c.FinalLogitSoftCap);
        Assert.Equal(0, c.SlidingWindowForLayer(0));
        Assert.True(c.TieWordEmbeddings); // absent from the file; GemmaConfig's default
    }

    [Fact]
    public void Gemma2_without_soft_cap_keys_takes_transformers_defaults_but_an_explicit_null_means_none()
    {
        var json = JsonNode.Parse(File.ReadAllText(RepoPaths.Fixture("configs", "gemma", "gemma-2-2b-it.json")))!.AsObject();
        json.Remove("attn_logit_softcapping");
        json["final_logit_softcapping"] = null;
        var c = Load(json);

        Assert.Equal(50f, c.AttentionSoftCap);
        Assert.Null(c.FinalLogitSoftCap);
    }

    [Fact]
    public void The_gemma3_frequency_tables_differ_between_local_and_global_layers()
    {
        var c = Fixture("gemma-3-1b-it");

        var (global, _) = RotaryFrequencies.ForCheckpoint(c, c.MaxPositionEmbeddings);
        var (local, _) = RotaryFrequencies.ForCheckpoint(c with { Rope = c.SlidingRope! }, c.MaxPositionEmbeddings);

        Assert.Equal(1f, local[0]);
        Assert.True(local[64] > global[64] * 10, $"local {local[64]} vs global {global[64]}");
    }

    [Theory]
    [InlineData("hidden_activation", "\"gelu\"", "gelu_pytorch_tanh")]
    [InlineData("use_bidirectional_attention", "true", "causal")]
    [InlineData("rope_parameters", "{\"rope_type\": \"default\", \"rope_theta\": 10000.0}", "per layer type")]
    public void Gemma3_configs_the_engine_cannot_run_are_refused_by_name(string key, string value, string expected)
    {
        var json = JsonNode.Parse(File.ReadAllText(RepoPaths.Fixture("configs", "gemma", "gemma-3-1b-it.json")))!.AsObject();
        json[key] = JsonNode.Parse(value);

        var error = Assert.Throws<ModelLoadException>(() => Load(json));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_multimodal_gemma3_config_without_text_config_is_refused()
    {
        var json = JsonNode.Parse(File.ReadAllText(RepoPaths.Fixture("configs", "gemma", "gemma-3-4b-it.json")))!.AsObject();
        json.Remove("text_config");

        var error = Assert.Throws<ModelLoadException>(() => Load(json));
        Assert.Contains("text_config", error.Message, StringComparison.Ordinal);
    }

    private ModelConfig Load(JsonObject json)
    {
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        return ModelConfig.Load(path);
    }
}
