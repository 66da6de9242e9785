using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>The device tensors of one decoder layer (HF names in comments).</summary>
public sealed class LayerWeights : IDisposable
{
    public required DeviceTensor InputNorm { get; init; }          // input_layernorm.weight

    public required DeviceTensor QueryProjection { get; init; }    // self_attn.q_proj.weight

    public required DeviceTensor KeyProjection { get; init; }      // self_attn.k_proj.weight

    public required DeviceTensor ValueProjection { get; init; }    // self_attn.v_proj.weight

    public DeviceTensor? QueryBias { get; init; }

    public DeviceTensor? KeyBias { get; init; }

    public DeviceTensor? ValueBias { get; init; }

    public required DeviceTensor OutputProjection { get; init; }   // self_attn.o_proj.weight

    public DeviceTensor? OutputBias { get; init; }

    public required DeviceTensor PostAttentionNorm { get; init; }  // post_attention_layernorm.weight

    public required DeviceTensor GateProjection { get; init; }     // mlp.gate_proj.weight

    public required DeviceTensor UpProjection { get; init; }       // mlp.up_proj.weight

    public required DeviceTensor DownProjection { get; init; }     // mlp.down_proj.weight

    public DeviceTensor? GateBias { get; init; }

    public DeviceTensor? UpBias { get; init; }

    public DeviceTensor? DownBias { get; init; }

    /// <summary>0 = full attention; otherwise this layer's sliding window.</summary>
    public int SlidingWindow { get; init; }

    public void Dispose()
    {
        foreach (var t in new[] { InputNorm, QueryProjection, KeyProjection, ValueProjection, QueryBias, KeyBias, ValueBias, OutputProjection, OutputBias, PostAttentionNorm, GateProjection, UpProjection, DownProjection, GateBias, UpBias, DownBias })
        {
            t?.Dispose();
        }
    }
}
