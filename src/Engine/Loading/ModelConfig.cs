using System.Text.Json;

namespace InferMesh.Engine.Loading;

/// <summary>
/// The parts of a Hugging Face config.json the Llama family needs (llama, qwen2, qwen3, mistral, phi3, Gemma 1/2/3 with
/// the settings <see cref="GemmaConfigReader"/> adds, and the mixture-of-experts mixtral, qwen2_moe, qwen3_moe). Both the
/// older top-level <c>rope_theta</c>/<c>rope_scaling</c> and transformers 5's <c>rope_parameters</c> are accepted.
/// </summary>
public sealed record ModelConfig
{
    public static readonly string[] SupportedTypes = ["llama", "qwen2", "qwen3", "mistral", "phi3", "gemma", "gemma2", "gemma3_text", "gemma3", "mixtral", "qwen2_moe", "qwen3_moe", "smollm3", "granite"];

    public required string Path { get; init; }

    public required string ModelType { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumHiddenLayers { get; init; }

    public required int NumAttentionHeads { get; init; }

    public required int NumKeyValueHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int VocabSize { get; init; }

    public required float RmsNormEps { get; init; }

    public required int MaxPositionEmbeddings { get; init; }

    public bool TieWordEmbeddings { get; init; }

    /// <summary>Biases on q/k/v (qwen2 always; llama when attention_bias).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Bias on o_proj (llama attention_bias).</summary>
    public bool OutputBias { get; init; }

    public bool MlpBias { get; init; }

    /// <summary>
    /// Checkpoint stores q|k|v as one self_attn.qkv_proj and gate|up as one mlp.gate_up_proj (phi3), rows in the order the
    /// engine packs them anyway (Phi3Attention / Phi3MLP in transformers' modeling_phi3.py).
    /// </summary>
    public bool FusedProjections { get; init; }

    /// <summary>RMSNorm over each query and key head before RoPE, weights self_attn.q_norm / k_norm (qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>Per layer, whether it applies RoPE (SmolLM3's NoPE layers); null when every layer does.</summary>
    public IReadOnlyList<bool>? RopeLayers { get; init; }

    /// <summary>The mixture-of-experts layout, or null for a dense model.</summary>
    public ExpertConfig? Experts { get; init; }

    /// <summary>Sliding attention window, or null for full attention everywhere.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Per-layer attention kind from transformers 5's layer_types ("full_attention"/"sliding_attention"), if given.</summary>
    public IReadOnlyList<string>? LayerTypes { get; init; }

    /// <summary>qwen2: layers from this index on use the sliding window (when use_sliding_window).</summary>
    public int? MaxWindowLayers { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>The first of <see cref="BosTokenIds"/>, or null when config.json names none.</summary>
    public int? BosTokenId { get; init; }

    public IReadOnlyList<int> BosTokenIds { get; init; } = [];

    /// <summary>torch dtype of the saved weights ("float32", "bfloat16", "float16"), if stated.</summary>
    public string? TorchDtype { get; init; }

    public RopeScaling Rope { get; init; } = new();

    /// <summary>Rotary parameters of sliding-window layers when they differ from <see cref="Rope"/> (Gemma 3's local rope), else null.</summary>
    public RopeScaling? SlidingRope { get; init; }

    /// <summary>Norm weights are stored as w and applied as (1 + w), computed in fp32 (GemmaRMSNorm); the loader adds the 1.</summary>
    public bool NormWeightsAreOffsets { get; init; }

    /// <summary>Embedding rows are multiplied by this (Gemma: √hidden_size in the checkpoint's dtype), or null.</summary>
    public float? EmbeddingScale { get; init; }

    public MlpActivation Activation { get; init; } = MlpActivation.Silu;

    /// <summary>
    /// Gemma 2/3 layers: x += post_attention_layernorm(attn(input_layernorm(x))); x += post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x))).
    /// Otherwise post_attention_layernorm is the norm before the MLP.
    /// </summary>
    public bool SandwichNorms { get; init; }

    /// <summary>Attention score scale (Gemma 2/3: query_pre_attn_scalar^-0.5), or null for 1/√head_dim.</summary>
    public float? AttentionScale { get; init; }

    /// <summary>Gemma 2's attn_logit_softcapping: scores become tanh(s/cap)·cap; null for none.</summary>
    public float? AttentionSoftCap { get; init; }

    /// <summary>final_logit_softcapping: logits become tanh(l/cap)·cap; null for none.</summary>
    public float? FinalLogitSoftCap { get; init; }

    /// <summary>Granite's residual_multiplier: each attention / MLP output is scaled by it before joining the residual; null for 1.</summary>
    public float? ResidualMultiplier { get; init; }

    /// <summary>Granite's logits_scaling: logits are divided by it; null for 1.</summary>
    public float? LogitsDivisor { get; init; }

    /// <summary>Prefixes of the text model's tensors (embed_tokens, layers, norm), tried in order: "model." except for Gemma 3's multimodal checkpoints.</summary>
    public IReadOnlyList<string> WeightPrefixes { get; init; } = ["model."];

    /// <summary>
    /// The window a layer attends with, 0 for full attention. As in transformers' sliding_window_overlay, a query at
    /// position i sees keys at positions j with i - window &lt; j ≤ i (the window counts the query's own position).
    /// </summary>
    public int SlidingWindowForLayer(int layer)
    {
        if (SlidingWindow is not { } window || window <= 0)
        {
            return 0;
        }

        if (LayerTypes is { } types && layer < types.Count)
        {
            return types[layer] == "sliding_attention" ? window : 0;
        }

        if (ModelType is "qwen2" or "qwen3" or "qwen2_moe" or "qwen3_moe")
        {
            // Qwen2Config / Qwen3Config: layer i slides when use_sliding_window and i >= max_window_layers (default 28).
            return layer >= (MaxWindowLayers ?? 28) ? window : 0;
        }

        return window;
    }

    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{path}: missing; a Hugging Face model folder needs config.json.");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException($"{path}: expected a JSON object.");
            }

            return Parse(new ConfigReader(path, doc.RootElement));
        }
    }

    private static ModelConfig Parse(ConfigReader r)
    {
        var path = r.Path;
        var type = r.OptionalString("model_type") ?? ArchitectureType(r) ?? throw r.Missing("model_type");
        if (!SupportedTypes.Contains(type))
        {
            throw r.Invalid("model_type", $"is '{type}', which InferMesh does not run; supported: {string.Join(", ", SupportedTypes)}");
        }

        var gemma = GemmaConfigReader.IsGemma(type);
        if (gemma)
        {
            r = GemmaConfigReader.WithDefaults(r, type);
        }

        // The Llama kernels implement SiLU·up; another activation would run and produce garbage. Gemma reads
        // hidden_activation instead (transformers ignores Gemma 1's hidden_act "gelu": GemmaMLP in modeling_gemma.py).
        var act = gemma ? "silu" : r.OptionalString("hidden_act") ?? "silu";
        if (act is not ("silu" or "swish"))
        {
            throw r.Invalid("hidden_act", $"is '{act}'; InferMesh's Llama-family MLP computes silu(gate)·up only");
        }

        var hidden = Positive(r, "hidden_size");
        var heads = Positive(r, "num_attention_heads");
        var kvHeads = r.OptionalInt("num_key_value_heads") ?? heads;
        if (kvHeads <= 0 || heads % kvHeads != 0)
        {
            throw r.Invalid("num_key_value_heads", $"({kvHeads}) must be positive and divide num_attention_heads ({heads})");
        }

        var headDim = r.OptionalInt("head_dim") ?? (hidden % heads == 0 ? hidden / heads : throw r.Invalid("hidden_size", $"({hidden}) is not divisible by num_attention_heads ({heads}) and no head_dim is given"));
        if (headDim <= 0 || headDim % 2 != 0)
        {
            throw r.Invalid("head_dim", $"({headDim}) must be a positive even number");
        }

        var layers = Positive(r, "num_hidden_layers");

        // transformers' defaults when the key is absent (LlamaConfig 2048, MistralConfig 4096·32, Qwen2Config 32768).
        var maxPositions = r.OptionalInt("max_position_embeddings") ?? type switch { "mistral" or "mixtral" => 131072, "qwen2" or "qwen3" or "qwen2_moe" or "qwen3_moe" or "smollm3" => 32768, "phi3" => 4096, _ => 2048 };
        if (maxPositions <= 0)
        {
            throw r.Invalid("max_position_embeddings", $"must be positive (got {maxPositions})");
        }

        var attentionBias = r.OptionalBool("attention_bias") ?? false;

        // Only mistral, phi3 and qwen2/qwen3 have a sliding window; qwen2/qwen3 use it only when use_sliding_window is true.
        var qwen = type is "qwen2" or "qwen3" or "qwen2_moe" or "qwen3_moe" or "smollm3";
        var ropeLayers = RopeLayerPattern.Read(r, type, layers);
        int? window = type is "mistral" or "mixtral" or "phi3" or "gemma2" or "gemma3_text" or "gemma3" || (qwen && r.OptionalBool("use_sliding_window") == true) ? r.OptionalInt("sliding_window") : null;
        var layerTypes = r.OptionalStringList("layer_types") ?? (gemma ? GemmaConfigReader.DefaultLayerTypes(r, type, layers) : RopeLayerPattern.DefaultLayerTypes(r, ropeLayers));
        if (layerTypes is not null)
        {
            if (layerTypes.Count != layers)
            {
                throw r.Invalid("layer_types", $"has {layerTypes.Count} entries but num_hidden_layers is {layers}");
            }

            if (layerTypes.FirstOrDefault(t => t is not ("full_attention" or "sliding_attention")) is { } bad)
            {
                throw r.Invalid("layer_types", $"contains '{bad}'; the Llama family has only full_attention and sliding_attention layers");
            }
        }

        var bos = r.IntOrList("bos_token_id");
        var config = new ModelConfig
        {
            Path = path,
            ModelType = type,
            HiddenSize = hidden,
            IntermediateSize = Positive(r, "intermediate_size"),
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = Positive(r, "vocab_size"),
            RmsNormEps = (float)(r.OptionalDouble("rms_norm_eps") ?? 1e-6),
            MaxPositionEmbeddings = maxPositions,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? type == "smollm3",
            QkvBias = type is "qwen2" or "qwen2_moe" || (type is "llama" or "granite" or "smollm3" or "qwen3" or "qwen3_moe" && attentionBias),
            OutputBias = type is "llama" or "granite" or "smollm3" or "qwen3" or "qwen3_moe" && attentionBias,
            RopeLayers = ropeLayers,
            QkNorm = type is "qwen3" or "qwen3_moe",
            Experts = ExpertConfig.Read(r, type, layers),
            MlpBias = type is "llama" or "granite" or "smollm3" && (r.OptionalBool("mlp_bias") ?? false),
            FusedProjections = type == "phi3",
            SlidingWindow = window is > 0 ? window : null,
            LayerTypes = layerTypes,
            MaxWindowLayers = r.OptionalInt("max_window_layers"),
            EosTokenIds = r.IntOrList("eos_token_id"),
            BosTokenIds = bos,
            BosTokenId = bos is [var first, ..] ? first : null,
            TorchDtype = r.OptionalString("torch_dtype") ?? r.OptionalString("dtype"),
            Rope = type is "gemma3_text" or "gemma3" ? new RopeScaling() : RopeConfigReader.Read(r, maxPositions, type, defaultTheta: type == "smollm3" ? 2_000_000 : 10_000),
        };
        return gemma ? GemmaConfigReader.Complete(r, config) : GraniteMultipliers.Complete(r, config);
    }

    private static int Positive(ConfigReader r, string name)
    {
        var v = r.RequiredInt(name);
        return v > 0 ? v : throw r.Invalid(name, $"must be positive (got {v})");
    }

    private static string? ArchitectureType(ConfigReader r)
    {
        if (!r.Has("architectures") || r.Root.GetProperty("architectures").ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var a in r.Root.GetProperty("architectures").EnumerateArray())
        {
            switch (a.GetString())
            {
                case "LlamaForCausalLM": return "llama";
                case "Qwen2ForCausalLM": return "qwen2";
                case "Qwen3ForCausalLM": return "qwen3";
                case "MistralForCausalLM": return "mistral";
                case "Phi3ForCausalLM": return "phi3";
                case "MixtralForCausalLM": return "mixtral";
                case "Qwen2MoeForCausalLM": return "qwen2_moe";
                case "Qwen3MoeForCausalLM": return "qwen3_moe";
                case "GemmaForCausalLM": return "gemma";
                case "Gemma2ForCausalLM": return "gemma2";
                case "Gemma3ForCausalLM": return "gemma3_text";
                case "Gemma3ForConditionalGeneration": return "gemma3";
                case "SmolLM3ForCausalLM": return "smollm3";
                case "GraniteForCausalLM": return "granite";
            }
        }

        return null;
    }
}
