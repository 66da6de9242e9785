using System.Text.Json;
using System.Text.Json.Nodes;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Engine.Loading;

/// <summary>
/// What Gemma 1, 2 and 3 add to a Llama-family config.json, read as transformers' GemmaConfig, Gemma2Config,
/// Gemma3TextConfig and Gemma3Config do (src/transformers/models/gemma*/configuration_gemma*.py):
/// their defaults for absent keys (Gemma 3's multimodal configs list only what differs from Gemma3TextConfig), the
/// text model of a "gemma3" (Gemma3ForConditionalGeneration) config under text_config, the layer pattern, the per-layer-type
/// rotary parameters of Gemma 3 and the settings the forward pass reads (<see cref="Complete"/>).
/// </summary>
internal static class GemmaConfigReader
{
    public static readonly string[] Types = ["gemma", "gemma2", "gemma3_text", "gemma3"];

    /// <summary>transformers' "gelu_pytorch_tanh", and the activations that compute the same tanh approximation.</summary>
    private static readonly string[] TanhGelus = ["gelu_pytorch_tanh", "gelu_new", "gelu_fast"];

    public static bool IsGemma(string type) => Types.Contains(type);

    /// <summary>
    /// A reader over the text model's keys with transformers' defaults filled in where a key is absent (an explicit
    /// null stays null: final_logit_softcapping: null means none). For "gemma3" the text model's keys come from
    /// text_config, with the top level's dtype, eos/bos ids and tie_word_embeddings where text_config has none.
    /// </summary>
    public static ConfigReader WithDefaults(ConfigReader r, string type)
    {
        var merged = Defaults(type);
        JsonElement text = r.Root;
        if (type == "gemma3")
        {
            if (!r.Root.TryGetProperty("text_config", out text) || text.ValueKind != JsonValueKind.Object)
            {
                throw r.Invalid("text_config", "must be an object holding the text model's config (a gemma3 Gemma3ForConditionalGeneration config.json has one)");
            }

            foreach (var key in new[] { "torch_dtype", "dtype", "eos_token_id", "bos_token_id", "tie_word_embeddings" })
            {
                if (r.Root.TryGetProperty(key, out var top))
                {
                    merged[key] = JsonNode.Parse(top.GetRawText());
                }
            }
        }

        foreach (var entry in text.EnumerateObject())
        {
            merged[entry.Name] = JsonNode.Parse(entry.Value.GetRawText());
        }

        merged["model_type"] = type;
        var path = type == "gemma3" ? r.Path + " (text_config)" : r.Path;
        return new ConfigReader(path, JsonSerializer.SerializeToElement(merged));
    }

    /// <summary>Gemma 2: even layers slide (Gemma2Config: sliding if (i + 1) % 2); Gemma 3: all but every sliding_window_pattern-th.</summary>
    public static IReadOnlyList<string>? DefaultLayerTypes(ConfigReader r, string type, int layers)
    {
        var pattern = type == "gemma2" ? 2 : type is "gemma3_text" or "gemma3" ? r.OptionalInt("sliding_window_pattern") ?? 6 : 0;
        if (pattern <= 0)
        {
            return type == "gemma" ? null : throw r.Invalid("sliding_window_pattern", $"must be positive (got {pattern})");
        }

        return Enumerable.Range(0, layers).Select(i => (i + 1) % pattern != 0 ? "sliding_attention" : "full_attention").ToArray();
    }

    /// <summary>The Gemma settings of a config the generic reader has filled in.</summary>
    public static ModelConfig Complete(ConfigReader r, ModelConfig config)
    {
        var type = config.ModelType;
        if (r.OptionalBool("use_bidirectional_attention") == true)
        {
            throw r.Invalid("use_bidirectional_attention", "is true (an embedding model's bidirectional attention); InferMesh runs causal language models only");
        }

        var activation = r.OptionalString("hidden_activation") ?? "gelu_pytorch_tanh";
        if (!TanhGelus.Contains(activation))
        {
            throw r.Invalid("hidden_activation", $"is '{activation}'; InferMesh's Gemma MLP computes gelu_pytorch_tanh(gate)·up only");
        }

        var gemma3 = type is "gemma3_text" or "gemma3";
        var sandwich = type != "gemma";
        return config with
        {
            NormWeightsAreOffsets = true,
            EmbeddingScale = EmbeddingScale(config),
            Activation = MlpActivation.GeluTanh,
            SandwichNorms = sandwich,
            QkNorm = gemma3,
            AttentionScale = sandwich && r.OptionalDouble("query_pre_attn_scalar") is { } s
                ? (s > 0 ? (float)Math.Pow(s, -0.5) : throw r.Invalid("query_pre_attn_scalar", $"must be positive (got {s})"))
                : null,

            // Gemma3Attention passes no softcap to its attention function, whatever the config says (modeling_gemma3.py).
            AttentionSoftCap = type == "gemma2" ? Cap(r, "attn_logit_softcapping") : null,
            FinalLogitSoftCap = type == "gemma" ? null : Cap(r, "final_logit_softcapping"),
            Rope = gemma3 ? LayerTypeRope(r, config.MaxPositionEmbeddings, "full_attention") : config.Rope,
            SlidingRope = gemma3 ? LayerTypeRope(r, config.MaxPositionEmbeddings, "sliding_attention") : null,
            WeightPrefixes = type == "gemma3" ? ["language_model.model.", "model.language_model."] : ["model."],
        };
    }

    /// <summary>
    /// √hidden_size as Gemma's embedding multiplies it: <c>torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype)</c>,
    /// so rounded to the checkpoint's dtype (bf16: √1152 = 33.94 becomes 34.0; transformers' comment in modeling_gemma3.py).
    /// </summary>
    private static float EmbeddingScale(ModelConfig config)
    {
        var scale = (float)Math.Sqrt(config.HiddenSize);
        return config.TorchDtype switch
        {
            "bfloat16" => FloatConversion.BFloat16ToSingle(FloatConversion.SingleToBFloat16(scale)),
            "float16" => (float)(Half)scale,
            _ => scale,
        };
    }

    private static float? Cap(ConfigReader r, string name) => r.OptionalDouble(name) switch
    {
        null => null,
        > 0 and var cap => (float)cap,
        var bad => throw r.Invalid(name, $"must be positive or null (got {bad})"),
    };

    /// <summary>
    /// Gemma 3's rotary parameters of one layer type, as Gemma3TextConfig.convert_rope_params_to_dict builds them:
    /// transformers 5's nested <c>rope_parameters</c> {"full_attention": {...}, "sliding_attention": {...}} when given;
    /// otherwise full attention takes <c>rope_scaling</c> (e.g. linear, factor 8) with <c>rope_theta</c> (default 1e6) and
    /// sliding attention the default rope with <c>rope_local_base_freq</c> (default 1e4). Each is then read by
    /// <see cref="RopeConfigReader"/> as one flat object.
    /// </summary>
    private static RopeScaling LayerTypeRope(ConfigReader r, int maxPositions, string layerType)
    {
        var full = layerType == "full_attention";
        JsonObject parameters;
        if (r.Root.TryGetProperty("rope_parameters", out var nested) && nested.ValueKind == JsonValueKind.Object)
        {
            if (!nested.TryGetProperty("full_attention", out _) && !nested.TryGetProperty("sliding_attention", out _))
            {
                throw r.Invalid("rope_parameters", "must hold one object per layer type (full_attention, sliding_attention) for Gemma 3, as transformers 5 writes it");
            }

            parameters = nested.TryGetProperty(layerType, out var own) && own.ValueKind == JsonValueKind.Object
                ? (JsonObject)JsonNode.Parse(own.GetRawText())!
                : new JsonObject { ["rope_type"] = "default" };
        }
        else if (full && r.Root.TryGetProperty("rope_scaling", out var scaling) && scaling.ValueKind == JsonValueKind.Object)
        {
            parameters = (JsonObject)JsonNode.Parse(scaling.GetRawText())!;
        }
        else
        {
            parameters = new JsonObject { ["rope_type"] = "default" };
        }

        if (!parameters.ContainsKey("rope_theta") || parameters["rope_theta"] is null)
        {
            parameters["rope_theta"] = full ? r.OptionalDouble("rope_theta") ?? 1_000_000.0 : r.OptionalDouble("rope_local_base_freq") ?? 10_000.0;
        }

        var root = new JsonObject { ["rope_parameters"] = parameters };
        return RopeConfigReader.Read(new ConfigReader($"{r.Path} (rope for {layerType} layers)", JsonSerializer.SerializeToElement(root)), maxPositions);
    }

    /// <summary>transformers' defaults for the keys a config.json may leave out.</summary>
    private static JsonObject Defaults(string type) => type switch
    {
        "gemma" => new JsonObject
        {
            ["vocab_size"] = 256000, ["hidden_size"] = 3072, ["intermediate_size"] = 24576, ["num_hidden_layers"] = 28,
            ["num_attention_heads"] = 16, ["num_key_value_heads"] = 16, ["head_dim"] = 256, ["max_position_embeddings"] = 8192,
            ["rms_norm_eps"] = 1e-6, ["tie_word_embeddings"] = true, ["rope_theta"] = 10000.0, ["bos_token_id"] = 2, ["eos_token_id"] = 1,
        },
        "gemma2" => new JsonObject
        {
            ["vocab_size"] = 256000, ["hidden_size"] = 2304, ["intermediate_size"] = 9216, ["num_hidden_layers"] = 26,
            ["num_attention_heads"] = 8, ["num_key_value_heads"] = 4, ["head_dim"] = 256, ["max_position_embeddings"] = 8192,
            ["rms_norm_eps"] = 1e-6, ["tie_word_embeddings"] = true, ["rope_theta"] = 10000.0, ["bos_token_id"] = 2, ["eos_token_id"] = 1,
            ["query_pre_attn_scalar"] = 256, ["sliding_window"] = 4096, ["final_logit_softcapping"] = 30.0, ["attn_logit_softcapping"] = 50.0,
        },
        _ => new JsonObject
        {
            ["vocab_size"] = 262208, ["hidden_size"] = 2304, ["intermediate_size"] = 9216, ["num_hidden_layers"] = 26,
            ["num_attention_heads"] = 8, ["num_key_value_heads"] = 4, ["head_dim"] = 256, ["max_position_embeddings"] = 131072,
            ["rms_norm_eps"] = 1e-6, ["tie_word_embeddings"] = true, ["bos_token_id"] = 2, ["eos_token_id"] = 1,
            ["query_pre_attn_scalar"] = 256, ["sliding_window"] = 4096,
        },
    };
}
