using System.Text.Json.Nodes;
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
        var e = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + ",\"rope_scaling\":{\"rope_type\":\"su\",\"factor\":2.0}}"));
        Assert.Contains("'su'", e.Message);
        Assert.Contains("longrope", e.Message); // the supported list
    }

    [Fact]
    public void Mixtral_architecture_reads_its_experts_with_every_layer_sparse_and_renormalised()
    {
        var c = Parse("{\"architectures\":[\"MixtralForCausalLM\"],\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"num_local_experts\":8,\"num_experts_per_tok\":2}");
        Assert.Equal("mixtral", c.ModelType);
        Assert.Equal(8, c.Experts!.Count);
        Assert.Equal(2, c.Experts.TopK);
        Assert.Equal(128, c.Experts.IntermediateSize);
        Assert.True(c.Experts.NormalizeTopK);
        Assert.True(c.Experts.AppliesTo(0) && c.Experts.AppliesTo(1));
    }

    [Fact]
    public void Qwen_moe_layers_follow_decoder_sparse_step_and_mlp_only_layers()
    {
        var c = Parse("{\"model_type\":\"qwen3_moe\",\"hidden_size\":64,\"intermediate_size\":128,\"moe_intermediate_size\":32,\"num_hidden_layers\":6,\"num_attention_heads\":4,\"vocab_size\":100,\"num_experts\":16,\"num_experts_per_tok\":4,\"decoder_sparse_step\":2,\"mlp_only_layers\":[3]}");
        Assert.Equal([1, 5], Enumerable.Range(0, 6).Where(c.Experts!.AppliesTo));
        Assert.False(c.Experts.NormalizeTopK); // norm_topk_prob defaults to false
        Assert.True(c.QkNorm);
    }

    [Fact]
    public void More_experts_per_token_than_experts_is_refused()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse("{\"model_type\":\"qwen2_moe\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"num_experts\":4,\"num_experts_per_tok\":5}"));
        Assert.Contains("num_experts_per_tok", e.Message);
    }

    [Fact]
    public void A_phi3_config_naming_su_scaling_means_longrope_as_transformers_reads_it()
    {
        var c = Parse("{\"model_type\":\"phi3\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"original_max_position_embeddings\":64,\"max_position_embeddings\":256,\"rope_scaling\":{\"type\":\"su\",\"short_factor\":[1,1,1,1,1,1,1,1],\"long_factor\":[2,2,2,2,2,2,2,2]}}");
        Assert.Equal("longrope", c.Rope.Type);
        Assert.Equal(4, c.Rope.Factor);
    }

    [Fact]
    public void Smollm3_without_no_rope_layers_skips_rope_on_every_fourth_layer_and_slides_only_there()
    {
        var c = Parse("{\"architectures\":[\"SmolLM3ForCausalLM\"],\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":8,\"num_attention_heads\":4,\"vocab_size\":100,\"use_sliding_window\":true,\"sliding_window\":32}");
        Assert.Equal("smollm3", c.ModelType);
        Assert.Equal([true, true, true, false, true, true, true, false], c.RopeLayers);
        Assert.Equal([0, 0, 0, 32, 0, 0, 0, 32], Enumerable.Range(0, 8).Select(c.SlidingWindowForLayer));
        Assert.Equal(2_000_000, c.Rope.Theta); // SmolLM3Config's default rope_theta
        Assert.True(c.TieWordEmbeddings);
    }

    [Fact]
    public void Qwen_moe_with_zero_experts_is_a_dense_model()
    {
        var c = Parse("{\"model_type\":\"qwen2_moe\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"num_experts\":0}");
        Assert.Null(c.Experts);
    }

    [Fact]
    public void Longrope_without_its_factor_lists_is_refused_naming_the_missing_list()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + ",\"rope_scaling\":{\"rope_type\":\"longrope\",\"long_factor\":[1.0]}}"));
        Assert.Contains("short_factor", e.Message);
    }

    [Fact]
    public void Phi_4_mini_config_reads_longrope_with_partial_rotary_and_the_ratio_as_factor()
    {
        var c = ModelConfig.Load(RepoPaths.Fixture("configs", "phi-4-mini-instruct.json"));
        Assert.Equal("phi3", c.ModelType);
        Assert.Equal("longrope", c.Rope.Type);
        Assert.Equal(0.75, c.Rope.PartialRotaryFactor);
        Assert.Equal(4096, c.Rope.OriginalMaxPositionEmbeddings);
        Assert.Equal(32, c.Rope.Factor); // 131072 / 4096: the config gives no factor
        Assert.Equal(48, c.Rope.ShortFactor.Count);
        Assert.Equal(47.77, c.Rope.LongFactor[^1]);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(128, c.HeadDim);

        var (inv, scaling) = InferMesh.Engine.Model.RotaryFrequencies.ForCheckpoint(c, 131072);
        Assert.Equal(48, inv.Length); // rotary dimension 96 of head_dim 128
        Assert.Equal(Math.Sqrt(1 + (Math.Log(32) / Math.Log(4096))), scaling, 6);
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

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama3-bf16")]
    [InlineData("tiny-mistral-sw8")]
    public void Golden_configs_load_with_the_values_their_json_states(string name)
    {
        var path = Path.Combine(RepoPaths.Golden(name), "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var c = ModelConfig.Load(path);
        Assert.Equal((string)json["model_type"]!, c.ModelType);
        Assert.Equal((int)json["hidden_size"]!, c.HiddenSize);
        Assert.Equal((int)json["intermediate_size"]!, c.IntermediateSize);
        Assert.Equal((int)json["num_hidden_layers"]!, c.NumHiddenLayers);
        Assert.Equal((int)json["num_attention_heads"]!, c.NumAttentionHeads);
        Assert.Equal((int)json["num_key_value_heads"]!, c.NumKeyValueHeads);
        Assert.Equal((int?)json["head_dim"] ?? (c.HiddenSize / c.NumAttentionHeads), c.HeadDim);
        Assert.Equal((int)json["vocab_size"]!, c.VocabSize);
        Assert.Equal((float)(double)json["rms_norm_eps"]!, c.RmsNormEps);
        Assert.Equal((int)json["max_position_embeddings"]!, c.MaxPositionEmbeddings);
        Assert.Equal((bool)json["tie_word_embeddings"]!, c.TieWordEmbeddings);
        Assert.Equal((string)json["rope_parameters"]!["rope_type"]!, c.Rope.Type);
        Assert.Equal((double)json["rope_parameters"]!["rope_theta"]!, c.Rope.Theta);
        Assert.Equal([(int)json["eos_token_id"]!], c.EosTokenIds);
        Assert.Equal(json["bos_token_id"] is { } bos ? [(int)bos] : [], c.BosTokenIds);
        Assert.Equal((string)json["dtype"]!, c.TorchDtype);
    }

    [Fact]
    public void Golden_qwen2_has_qkv_bias_no_output_bias_and_no_window()
    {
        var c = ModelConfig.Load(Path.Combine(RepoPaths.Golden("tiny-qwen2"), "config.json"));
        Assert.True(c.QkvBias);
        Assert.False(c.OutputBias);
        Assert.Null(c.SlidingWindow);
        Assert.All(Enumerable.Range(0, c.NumHiddenLayers), i => Assert.Equal(0, c.SlidingWindowForLayer(i)));
    }

    [Fact]
    public void Golden_mistral_slides_every_layer_with_its_window()
    {
        var c = ModelConfig.Load(Path.Combine(RepoPaths.Golden("tiny-mistral-sw8"), "config.json"));
        Assert.All(Enumerable.Range(0, c.NumHiddenLayers), i => Assert.Equal(8, c.SlidingWindowForLayer(i)));
    }

    [Fact]
    public void Qwen2_with_use_sliding_window_slides_layers_from_max_window_layers_on()
    {
        var c = Parse("{\"model_type\":\"qwen2\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":4,\"num_attention_heads\":4,\"vocab_size\":100,\"sliding_window\":32,\"use_sliding_window\":true,\"max_window_layers\":2}");
        Assert.Equal([0, 0, 32, 32], Enumerable.Range(0, 4).Select(c.SlidingWindowForLayer));
    }

    [Fact]
    public void Llama_ignores_a_sliding_window_field()
    {
        var c = Parse("{" + Base + ",\"sliding_window\":16}");
        Assert.Null(c.SlidingWindow);
    }

    [Fact]
    public void Layer_types_of_the_wrong_length_are_named()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + ",\"layer_types\":[\"full_attention\"]}"));
        Assert.Contains("'layer_types'", e.Message);
        Assert.Contains("num_hidden_layers", e.Message);
    }

    [Fact]
    public void Model_type_may_come_from_architectures()
    {
        var c = Parse("{\"architectures\":[\"MistralForCausalLM\"]," + Base[(Base.IndexOf(',') + 1)..] + "}");
        Assert.Equal("mistral", c.ModelType);
    }

    [Fact]
    public void Activation_other_than_silu_is_rejected_by_name()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + ",\"hidden_act\":\"gelu\"}"));
        Assert.Contains("'hidden_act'", e.Message);
        Assert.Contains("gelu", e.Message);
    }

    [Fact]
    public void Llama_attention_bias_puts_biases_on_q_k_v_and_o()
    {
        var c = Parse("{" + Base + ",\"attention_bias\":true,\"mlp_bias\":true}");
        Assert.True(c.QkvBias);
        Assert.True(c.OutputBias);
        Assert.True(c.MlpBias);
    }

    [Fact]
    public void Null_head_dim_is_derived_from_hidden_size()
    {
        var c = Parse("{" + Base + ",\"head_dim\":null}");
        Assert.Equal(16, c.HeadDim);
    }

    [Fact]
    public void Bos_token_id_may_be_a_list()
    {
        var c = Parse("{" + Base + ",\"bos_token_id\":[1,5]}");
        Assert.Equal([1, 5], c.BosTokenIds);
        Assert.Equal(1, c.BosTokenId);
    }

    [Fact]
    public void Absent_max_position_embeddings_takes_the_transformers_default_of_the_model_type()
    {
        Assert.Equal(2048, Parse("{" + Base + "}").MaxPositionEmbeddings);
        Assert.Equal(32768, Parse("{" + Base.Replace("llama", "qwen2") + "}").MaxPositionEmbeddings);
        Assert.Equal(131072, Parse("{" + Base.Replace("llama", "mistral") + "}").MaxPositionEmbeddings);
    }

    [Fact]
    public void Rope_theta_without_rope_scaling_is_default_rope()
    {
        var c = Parse("{" + Base + ",\"rope_theta\":500000.0}");
        Assert.Equal("default", c.Rope.Type);
        Assert.Equal(500000, c.Rope.Theta);
    }

    [Theory]
    [InlineData("linear", "factor", "\"factor\":2.0")]
    [InlineData("dynamic", "factor", "\"factor\":2.0")]
    [InlineData("llama3", "factor", "\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0")]
    [InlineData("llama3", "low_freq_factor", "\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0")]
    [InlineData("llama3", "high_freq_factor", "\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0")]
    public void Rope_parameter_required_by_its_type_is_named_when_missing(string type, string missing, string all)
    {
        var without = string.Join(",", all.Split(',').Where(kv => !kv.StartsWith($"\"{missing}\"", StringComparison.Ordinal)));
        Parse("{" + Base + $",\"rope_parameters\":{{\"rope_type\":\"{type}\",{all}}}}}");
        var e = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + $",\"rope_parameters\":{{\"rope_type\":\"{type}\"{(without.Length > 0 ? "," + without : "")}}}}}"));
        Assert.Contains("config.json", e.Message);
        Assert.Contains($"rope_parameters.{missing}", e.Message);
    }

    [Fact]
    public void Rope_field_of_the_wrong_type_is_named()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + ",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":\"two\"}}"));
        Assert.Contains("rope_scaling.factor", e.Message);
        var t = Assert.Throws<ModelLoadException>(() => Parse("{" + Base + ",\"rope_scaling\":{\"rope_type\":3}}"));
        Assert.Contains("rope_scaling.rope_type", t.Message);
    }

    [Fact]
    public void Yarn_without_factor_takes_max_over_original_positions()
    {
        var c = Parse("{" + Base + ",\"max_position_embeddings\":8192,\"rope_parameters\":{\"rope_type\":\"yarn\",\"rope_theta\":10000.0,\"original_max_position_embeddings\":2048}}");
        Assert.Equal(4, c.Rope.Factor);
    }

    [Fact]
    public void Original_max_positions_default_to_max_position_embeddings_and_a_top_level_value_wins()
    {
        const string Yarn = "\"rope_parameters\":{\"rope_type\":\"yarn\",\"rope_theta\":10000.0,\"factor\":4.0";
        Assert.Equal(8192, Parse("{" + Base + ",\"max_position_embeddings\":8192," + Yarn + "}}").Rope.OriginalMaxPositionEmbeddings);
        Assert.Equal(1024, Parse("{" + Base + ",\"max_position_embeddings\":8192,\"original_max_position_embeddings\":1024," + Yarn + ",\"original_max_position_embeddings\":2048}}").Rope.OriginalMaxPositionEmbeddings);
    }
}
