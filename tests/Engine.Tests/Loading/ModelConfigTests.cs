using InferMesh.Engine.Loading;

namespace InferMesh.Engine.Tests.Loading;

public sealed class ModelConfigTests
{
    private static ModelConfig Parse(string json)
    {
        var path = Path.Combine(SafetensorsBytes.TempDir(), "config.json");
        File.WriteAllText(path, json);
        return ModelConfig.Load(path);
    }

    private const string Base = "\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100";

    [Fact]
    public void Rope_parameters_and_top_level_rope_fields_parse_the_same()
    {
        var newer = Parse("{" + Base + ",\"rope_parameters\":{\"rope_type\":\"llama3\",\"rope_theta\":500000.0,\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":256}}");
        var older = Parse("{" + Base + ",\"rope_theta\":500000.0,\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":256}}");
        Assert.Equal(newer.Rope, older.Rope);
        Assert.Equal("llama3", newer.Rope.Type);
        Assert.Equal(500000, newer.Rope.Theta);
    }

    [Fact]
    public void Rope_scaling_type_key_is_accepted_like_rope_type()
    {
        var a = Parse("{" + Base + ",\"rope_scaling\":{\"type\":\"linear\",\"factor\":2.0}}");
        var b = Parse("{" + Base + ",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":2.0}}");
        Assert.Equal("linear", a.Rope.Type);
        Assert.Equal(a.Rope, b.Rope);
    }

    [Fact]
    public void Missing_kv_heads_means_multi_head_attention_and_head_dim_is_derived()
    {
        var c = Parse("{" + Base + "}");
        Assert.Equal(4, c.NumKeyValueHeads);
        Assert.Equal(16, c.HeadDim);
    }

    [Fact]
    public void Explicit_head_dim_wins_over_hidden_over_heads()
    {
        var c = Parse("{" + Base + ",\"head_dim\":32}");
        Assert.Equal(32, c.HeadDim);
    }

    [Fact]
    public void Kv_heads_that_do_not_divide_heads_are_rejected()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + ",\"num_key_value_heads\":3}"));
        Assert.Contains("num_key_value_heads", e.Message);
    }

    [Fact]
    public void Unsupported_rope_type_is_named()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + ",\"rope_scaling\":{\"rope_type\":\"longrope\",\"factor\":2.0}}"));
        Assert.Contains("longrope", e.Message);
    }

    [Fact]
    public void Qwen2_sliding_window_applies_only_when_enabled()
    {
        var off = Parse("{\"model_type\":\"qwen2\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"sliding_window\":32,\"use_sliding_window\":false}");
        Assert.Null(off.SlidingWindow);
        Assert.True(off.QkvBias);
    }

    [Fact]
    public void Mistral_sliding_window_covers_every_layer()
    {
        var c = Parse("{\"model_type\":\"mistral\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"sliding_window\":8}");
        Assert.Equal(8, c.SlidingWindowForLayer(0));
        Assert.Equal(8, c.SlidingWindowForLayer(1));
    }

    [Fact]
    public void Eos_token_id_may_be_a_list()
    {
        var c = Parse("{" + Base + ",\"eos_token_id\":[7,9]}");
        Assert.Equal([7, 9], c.EosTokenIds);
    }
}
