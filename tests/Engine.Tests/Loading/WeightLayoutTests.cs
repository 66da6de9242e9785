using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;

namespace InferMesh.Engine.Tests.Loading;

public sealed class WeightLayoutTests
{
    private static ModelConfig EditedConfig(string golden, Action<JsonObject> edit)
    {
        var dir = SafetensorsBytes.TempDir();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Golden(golden), "config.json")))!.AsObject();
        edit(json);
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        return ModelConfig.Load(path);
    }

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama3-bf16")]
    [InlineData("tiny-mistral-sw8")]
    public void Golden_weights_match_the_layout_their_config_implies(string name)
    {
        var config = ModelConfig.Load(Path.Combine(RepoPaths.Golden(name), "config.json"));
        using var store = WeightStore.Open(RepoPaths.Golden(name));
        var layout = new WeightLayout(config);
        layout.Validate(store);

        // Every stored tensor is one the layout expects: nothing in the file goes unused.
        Assert.Empty(store.Names.Except(layout.Expected().Select(t => t.Name)));
    }

    [Fact]
    public void Shipped_sharded_model_opens_through_its_index_and_matches_its_layout()
    {
        var dir = Path.Combine(RepoPaths.Root, "models", "infermesh-tiny");
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        using var store = WeightStore.Open(dir);
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "model.safetensors.index.json")))!["weight_map"]!.AsObject();
        Assert.Equal(index.Select(p => (string)p.Value!).Distinct().Count(), store.Files.Count);
        Assert.Equal(index.Select(p => p.Key).Order(), store.Names.Order());
        var layout = new WeightLayout(config);
        layout.Validate(store);
        Assert.Empty(store.Names.Except(layout.Expected().Select(t => t.Name)));
    }

    [Fact]
    public void Kv_head_count_that_does_not_fit_the_weights_names_tensor_file_shapes_and_field()
    {
        var config = EditedConfig("tiny-llama", c => c["num_key_value_heads"] = 4);
        using var store = WeightStore.Open(RepoPaths.Golden("tiny-llama"));
        var e = Assert.Throws<ModelLoadException>(() => new WeightLayout(config).Validate(store));
        Assert.Contains("self_attn.k_proj.weight", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("[32, 64]", e.Message);
        Assert.Contains("[64, 64]", e.Message);
        Assert.Contains("num_key_value_heads", e.Message);
        Assert.Contains(config.Path, e.Message);
    }

    [Fact]
    public void Every_mismatch_is_reported_at_once()
    {
        // Wrong intermediate_size touches gate, up and down of both layers: six tensors.
        var config = EditedConfig("tiny-llama", c => c["intermediate_size"] = 200);
        using var store = WeightStore.Open(RepoPaths.Golden("tiny-llama"));
        var e = Assert.Throws<ModelLoadException>(() => new WeightLayout(config).Validate(store));
        Assert.StartsWith("6 tensors", e.Message);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", e.Message);
        Assert.Contains("intermediate_size", e.Message);
    }

    [Fact]
    public void Llama_attention_bias_expects_biases_the_golden_weights_lack()
    {
        var config = EditedConfig("tiny-llama", c => c["attention_bias"] = true);
        using var store = WeightStore.Open(RepoPaths.Golden("tiny-llama"));
        var e = Assert.Throws<ModelLoadException>(() => new WeightLayout(config).Validate(store));
        Assert.Contains("self_attn.q_proj.bias", e.Message);
        Assert.Contains("self_attn.o_proj.bias", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Tied_config_accepts_a_stored_lm_head()
    {
        var config = EditedConfig("tiny-llama", c => c["tie_word_embeddings"] = true);
        using var store = WeightStore.Open(RepoPaths.Golden("tiny-llama"));
        new WeightLayout(config).Validate(store);
        Assert.True(store.TryGet("lm_head.weight", out _));
    }

    [Fact]
    public void Tensor_of_an_unsupported_dtype_is_named_with_its_dtype()
    {
        var dir = SafetensorsBytes.TempDir();
        File.Copy(Path.Combine(RepoPaths.Golden("tiny-llama"), "config.json"), Path.Combine(dir, "config.json"));
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        var expected = new WeightLayout(config).Expected().Where(t => !t.Optional).ToArray();
        var entries = expected.Select(t => new SafetensorsWriter.Entry(t.Name, t.Name == "model.norm.weight" ? Kernels.DType.I32 : Kernels.DType.F32, t.Shape)).ToArray();
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), entries, (_, _, memory) => memory.Span.Clear());
        using var store = WeightStore.Open(dir);
        var e = Assert.Throws<ModelLoadException>(() => new WeightLayout(config).Validate(store));
        Assert.Contains("'model.norm.weight'", e.Message);
        Assert.Contains("I32", e.Message);
    }
}
