using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// The device tensors of one decoder layer (HF names in comments). Projections that read the same input are packed
/// along their output rows (see <see cref="ProjectionPacker"/>): q|k|v into one weight, gate|up into another.
/// </summary>
public sealed class LayerWeights : IDisposable
{
    public required DeviceTensor InputNorm { get; init; }          // input_layernorm.weight

    /// <summary>[(H + 2·Hkv)·headDim × hidden]: self_attn.q_proj, k_proj and v_proj weights, rows stacked in that order.</summary>
    public required DeviceTensor QkvProjection { get; init; }

    /// <summary>The q|k|v biases packed alike (qwen2), or null.</summary>
    public DeviceTensor? QkvBias { get; init; }

    /// <summary>self_attn.q_norm.weight and k_norm.weight ([headDim] each; qwen3), or null.</summary>
    public DeviceTensor? QueryNorm { get; init; }

    public DeviceTensor? KeyNorm { get; init; }

    public required DeviceTensor OutputProjection { get; init; }   // self_attn.o_proj.weight

    public DeviceTensor? OutputBias { get; init; }

    /// <summary>The norm before the MLP: post_attention_layernorm.weight, or pre_feedforward_layernorm.weight with <see cref="ModelConfig.SandwichNorms"/>.</summary>
    public required DeviceTensor PostAttentionNorm { get; init; }

    /// <summary>Gemma 2/3: post_attention_layernorm.weight, the norm of the attention output before the residual add; else null.</summary>
    public DeviceTensor? AttentionOutputNorm { get; init; }

    /// <summary>Gemma 2/3: post_feedforward_layernorm.weight, the norm of the MLP output before the residual add; else null.</summary>
    public DeviceTensor? MlpOutputNorm { get; init; }

    /// <summary>[2·intermediate × hidden]: mlp.gate_proj then mlp.up_proj weights, rows stacked; null in an expert layer.</summary>
    public DeviceTensor? GateUpProjection { get; init; }

    /// <summary>The gate|up biases packed alike, or null.</summary>
    public DeviceTensor? GateUpBias { get; init; }

    public DeviceTensor? DownProjection { get; init; }             // mlp.down_proj.weight; null in an expert layer

    /// <summary>The mixture-of-experts feed-forward that replaces the dense MLP in this layer, or null.</summary>
    public ExpertLayerWeights? Experts { get; init; }

    public DeviceTensor? DownBias { get; init; }

    /// <summary>0 = full attention; otherwise this layer's sliding window.</summary>
    public int SlidingWindow { get; init; }

    /// <summary>False for a layer that applies no rotary embedding (SmolLM3's NoPE layers).</summary>
    public bool UsesRope { get; init; } = true;

    /// <summary>
    /// q|k|v of <paramref name="normed"/> into <paramref name="qkv"/>: the packed projection, then (qwen3) the per-head
    /// q/k RMSNorm that comes before RoPE.
    /// </summary>
    public void ProjectQkv(IComputeBackend backend, DeviceTensor normed, DeviceTensor qkv, ModelConfig config)
    {
        backend.MatMul(normed, QkvProjection, QkvBias, qkv);
        if (QueryNorm is not null)
        {
            backend.HeadRmsNorm(qkv, QueryNorm, KeyNorm!, config.HeadDim, config.NumAttentionHeads, config.NumKeyValueHeads, config.RmsNormEps);
        }
    }

    public void Dispose()
    {
        foreach (var t in new[] { InputNorm, QkvProjection, QkvBias, QueryNorm, KeyNorm, OutputProjection, OutputBias, PostAttentionNorm, AttentionOutputNorm, MlpOutputNorm, GateUpProjection, GateUpBias, DownProjection, DownBias })
        {
            t?.Dispose();
        }

        Experts?.Dispose();
    }
}
