using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.Loading;

public sealed class ModelFolderErrorTests
{
    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama3-bf16")]
    [InlineData("tiny-mistral-sw8")]
    public void Golden_folders_open_and_validate(string name)
    {
        using var folder = ModelFolder.Open(RepoPaths.Golden(name));
        Assert.True(folder.Config.NumHiddenLayers > 0);
        Assert.NotEmpty(folder.Weights.Names);
    }

    [Fact]
    public void Config_missing_a_required_field_names_config_and_field()
    {
        var dir = SafetensorsBytes.CopyGolden("tiny-llama");
        EditConfig(dir, c => c.Remove("hidden_size"));
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("'hidden_size'", e.Message);
    }

    [Fact]
    public void Config_field_of_the_wrong_type_is_named()
    {
        var dir = SafetensorsBytes.CopyGolden("tiny-llama");
        EditConfig(dir, c => c["num_hidden_layers"] = "two");
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
        Assert.Contains("'num_hidden_layers'", e.Message);
        Assert.Contains("integer", e.Message);
    }

    [Fact]
    public void Unsupported_model_type_lists_the_supported_ones()
    {
        var dir = SafetensorsBytes.CopyGolden("tiny-llama");
        EditConfig(dir, c => c["model_type"] = "gpt2");
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
        Assert.Contains("gpt2", e.Message);
        Assert.Contains("supported: llama, qwen2, qwen3, mistral, phi3", e.Message);
    }

    [Fact]
    public void Tensor_shape_not_matching_the_config_names_tensor_file_and_shapes()
    {
        var dir = SafetensorsBytes.CopyGolden("tiny-llama");
        EditConfig(dir, c => c["intermediate_size"] = 200);
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
        Assert.Contains("mlp.gate_proj.weight", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("[176, 64]", e.Message);
        Assert.Contains("[200, 64]", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        var dir = SafetensorsBytes.CopyGolden("tiny-llama");
        EditConfig(dir, c => c["num_hidden_layers"] = 3);
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
        Assert.Contains("model.layers.2.", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Untied_model_without_lm_head_says_how_to_fix_the_config()
    {
        var dir = SafetensorsBytes.CopyGolden("tiny-qwen2");
        EditConfig(dir, c => c["tie_word_embeddings"] = false);
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
        Assert.Contains("lm_head.weight", e.Message);
        Assert.Contains("tie_word_embeddings", e.Message);
    }

    [Fact]
    public void Truncated_weights_file_is_reported_when_the_folder_opens()
    {
        var dir = SafetensorsBytes.CopyGolden("tiny-llama");
        var weights = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 1000)]);
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Pytorch_bin_weights_get_a_conversion_hint()
    {
        var dir = SafetensorsBytes.CopyGolden("tiny-llama");
        File.Move(Path.Combine(dir, "model.safetensors"), Path.Combine(dir, "pytorch_model.bin"));
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(dir));
        Assert.Contains("safe_serialization", e.Message);
    }

    [Fact]
    public void Missing_folder_is_reported()
    {
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open("/nonexistent/model"));
        Assert.Contains("/nonexistent/model", e.Message);
    }
}
