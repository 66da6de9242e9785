namespace InferMesh.Engine.Loading;

/// <summary>
/// The mixture-of-experts part of a config.json (mixtral, qwen2_moe, qwen3_moe): a router picks
/// <see cref="TopK"/> of <see cref="Count"/> SwiGLU experts per token (transformers' MixtralSparseMoeBlock,
/// Qwen2MoeSparseMoeBlock, Qwen3MoeSparseMoeBlock).
/// </summary>
public sealed record ExpertConfig
{
    /// <summary>num_local_experts (mixtral) or num_experts (qwen).</summary>
    public required int Count { get; init; }

    /// <summary>num_experts_per_tok.</summary>
    public required int TopK { get; init; }

    /// <summary>Renormalise the chosen experts' softmax weights to sum to 1 (mixtral always; qwen when norm_topk_prob).</summary>
    public required bool NormalizeTopK { get; init; }

    /// <summary>Each expert's intermediate size (mixtral: intermediate_size; qwen: moe_intermediate_size).</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>qwen2_moe's always-on shared expert (its output gated by sigmoid(shared_expert_gate·x)), or 0.</summary>
    public int SharedIntermediateSize { get; init; }

    /// <summary>qwen: layers that keep a dense MLP.</summary>
    public IReadOnlyList<int> MlpOnlyLayers { get; init; } = [];

    /// <summary>qwen: layer i is sparse when (i + 1) % decoder_sparse_step == 0 (and not in mlp_only_layers).</summary>
    public int SparseStep { get; init; } = 1;

    public bool AppliesTo(int layer) => !MlpOnlyLayers.Contains(layer) && (layer + 1) % SparseStep == 0;

    internal static ExpertConfig? Read(ConfigReader r, string type, int layers)
    {
        if (type is not ("mixtral" or "qwen2_moe" or "qwen3_moe"))
        {
            return null;
        }

        var mixtral = type == "mixtral";
        var countName = mixtral ? "num_local_experts" : "num_experts";
        var count = r.OptionalInt(countName) ?? (mixtral ? 8 : type == "qwen2_moe" ? 60 : 128);
        if (count == 0 && !mixtral)
        {
            return null; // transformers builds every qwen MoE layer dense when num_experts is 0
        }

        var topK = r.OptionalInt("num_experts_per_tok") ?? (mixtral ? 2 : type == "qwen2_moe" ? 4 : 8);
        if (count < 1 || topK < 1 || topK > count)
        {
            throw r.Invalid("num_experts_per_tok", $"({topK}) must be between 1 and {countName} ({count})");
        }

        var size = mixtral ? r.RequiredInt("intermediate_size") : r.OptionalInt("moe_intermediate_size") ?? (type == "qwen2_moe" ? 1408 : 768);
        var shared = type == "qwen2_moe" ? r.OptionalInt("shared_expert_intermediate_size") ?? 5632 : 0;
        var step = mixtral ? 1 : r.OptionalInt("decoder_sparse_step") ?? 1;
        if (size < 1 || shared < 0 || step < 1)
        {
            throw r.Invalid(mixtral ? "intermediate_size" : "moe_intermediate_size", $"({size}), shared_expert_intermediate_size ({shared}) and decoder_sparse_step ({step}) must be positive");
        }

        var mlpOnly = mixtral || !r.Has("mlp_only_layers") ? [] : r.IntOrList("mlp_only_layers");
        if (mlpOnly.FirstOrDefault(l => l < 0 || l >= layers, -1) is var bad and >= 0)
        {
            throw r.Invalid("mlp_only_layers", $"names layer {bad}, outside the model's {layers} layers");
        }

        return new ExpertConfig
        {
            Count = count,
            TopK = topK,
            NormalizeTopK = mixtral || (r.OptionalBool("norm_topk_prob") ?? false),
            IntermediateSize = size,
            SharedIntermediateSize = shared,
            MlpOnlyLayers = mlpOnly,
            SparseStep = step,
        };
    }
}
