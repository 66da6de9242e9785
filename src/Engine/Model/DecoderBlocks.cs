using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// Everything of a decoder layer except the attention itself, shared by <see cref="LlamaModel"/> (paged attention over
/// a continuous batch) and TokenRing members (block attention around a ring), so both run one definition of the model:
/// the embedding (× <see cref="ModelConfig.EmbeddingScale"/>), each layer's attention shape and rotary table, the part
/// after the attention's output projection — norms (Gemma 2/3's sandwich norms), residual scaling (Granite), the dense
/// MLP (SwiGLU or GELU(tanh)) or the <see cref="MixtureOfExperts"/>, the residual adds fused with the next layer's
/// input norm — and the logits head (final norm, LM head, Granite's logits_scaling, Gemma's soft cap). Follows
/// transformers' modeling_llama.py and its kin; buffers are sized once for <c>maxRows</c> and a call allocates nothing.
/// </summary>
public sealed class DecoderBlocks : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly LlamaWeights _weights;
    private readonly AttentionShape[] _shapes;
    private readonly LeadingRows _gateUp, _act, _down;
    private readonly LeadingRows? _normed;
    private readonly MixtureOfExperts? _experts;

    public DecoderBlocks(IComputeBackend backend, LlamaWeights weights, int maxRows, int blockSize)
    {
        _backend = backend;
        _weights = weights;
        var c = weights.Config;
        _shapes = new AttentionShape[weights.Layers.Count];
        for (var i = 0; i < _shapes.Length; i++)
        {
            _shapes[i] = new AttentionShape(c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.AttentionScale ?? 1f / MathF.Sqrt(c.HeadDim), weights.Layers[i].SlidingWindow, blockSize, c.AttentionSoftCap ?? 0f);
            if (!backend.SupportsAttention(_shapes[i]))
            {
                throw new ModelLoadException($"{c.Path}: attention logit soft capping ({c.AttentionSoftCap}, Gemma 2's attn_logit_softcapping) is not implemented by the attention kernels of {backend.DeviceName}; run this model on the CPU backend (--device cpu).");
            }
        }

        Rotary = new RotaryTables(backend, weights);

        // A model whose every layer is an expert layer (mixtral) needs no dense MLP buffers; keep a token-sized stub.
        var denseWidth = c.Experts is { } moe && Enumerable.Range(0, c.NumHiddenLayers).All(moe.AppliesTo) ? 1 : c.IntermediateSize;
        _gateUp = new(backend.Allocate(maxRows, 2 * denseWidth));
        _act = new(backend.Allocate(maxRows, denseWidth));
        _down = new(backend.Allocate(maxRows, c.HiddenSize));
        _normed = c.SandwichNorms ? new(backend.Allocate(maxRows, c.HiddenSize)) : null;
        _experts = c.Experts is null ? null : new MixtureOfExperts(backend, c, maxRows);
    }

    public ModelConfig Config => _weights.Config;

    public RotaryTables Rotary { get; }

    /// <summary>The attention geometry of this stage's layer <paramref name="layer"/>.</summary>
    public AttentionShape Shape(int layer) => _shapes[layer];

    /// <summary>x = embed(ids) (× the embedding scale), then h = the first layer's input norm of x.</summary>
    public void Embed(DeviceTensor ids, DeviceTensor x, DeviceTensor h)
    {
        _backend.Embedding(_weights.Embedding!, ids, x);
        if (Config.EmbeddingScale is { } scale)
        {
            _backend.Scale(x, scale);
        }

        NormFirstLayer(x, h);
    }

    /// <summary>h = the stage's first layer's input norm of x (a later pipeline stage starts here).</summary>
    public void NormFirstLayer(DeviceTensor x, DeviceTensor h)
    {
        if (_weights.Layers.Count > 0)
        {
            _backend.RmsNorm(x, _weights.Layers[0].InputNorm, Config.RmsNormEps, h);
        }
    }

    /// <summary>
    /// Layer <paramref name="layer"/> after its attention output projection <paramref name="o"/>: x += the attention
    /// output, h = the MLP's input norm, x += the MLP (or experts) output, h = the next layer's input norm of x (the
    /// stage's last layer leaves h alone: its x goes to the logits head or the next stage). <paramref name="o"/> may be
    /// overwritten.
    /// </summary>
    public void AfterAttention(int layer, DeviceTensor o, DeviceTensor x, DeviceTensor h)
    {
        var b = _backend;
        var eps = Config.RmsNormEps;
        var rows = x.Rows;
        var w = _weights.Layers[layer];
        b.AddRmsNorm(x, ResidualScaled(OutputNorm(o, w.AttentionOutputNorm, rows)), w.PostAttentionNorm, eps, h);
        DeviceTensor feedForward;
        if (w.Experts is { } experts)
        {
            feedForward = _experts!.Compute(experts, h);
        }
        else
        {
            var gateUp = _gateUp.Take(rows);
            var act = _act.Take(rows);
            b.MatMul(h, w.GateUpProjection!, w.GateUpBias, gateUp);
            if (Config.Activation == MlpActivation.GeluTanh)
            {
                b.GeluTanhGlu(gateUp, act);
            }
            else
            {
                b.SwiGlu(gateUp, act);
            }

            feedForward = _down.Take(rows);
            b.MatMul(act, w.DownProjection!, w.DownBias, feedForward);
        }

        var output = ResidualScaled(OutputNorm(feedForward, w.MlpOutputNorm, rows));
        if (layer + 1 < _weights.Layers.Count)
        {
            b.AddRmsNorm(x, output, _weights.Layers[layer + 1].InputNorm, eps, h);
        }
        else
        {
            b.Add(x, output);
        }
    }

    /// <summary>logits = lm_head(final_norm(last)) (÷ logits_scaling, soft-capped), via the <paramref name="lastNorm"/> scratch.</summary>
    public void Logits(DeviceTensor last, DeviceTensor lastNorm, DeviceTensor logits)
    {
        var b = _backend;
        b.RmsNorm(last, _weights.FinalNorm!, Config.RmsNormEps, lastNorm);
        b.MatMul(lastNorm, _weights.LmHead!, null, logits);
        if (Config.LogitsDivisor is { } divisor)
        {
            b.Scale(logits, 1f / divisor); // Granite's logits_scaling
        }

        if (Config.FinalLogitSoftCap is { } cap)
        {
            b.SoftCap(logits, cap);
        }
    }

    /// <summary>Granite: a sublayer's output times residual_multiplier, in place, before it joins the residual.</summary>
    private DeviceTensor ResidualScaled(DeviceTensor output)
    {
        if (Config.ResidualMultiplier is { } multiplier)
        {
            _backend.Scale(output, multiplier);
        }

        return output;
    }

    /// <summary>A sublayer's output as it joins the residual: normed first when the layer has that norm (Gemma 2/3), else as is.</summary>
    private DeviceTensor OutputNorm(DeviceTensor output, DeviceTensor? norm, int rows)
    {
        if (norm is null)
        {
            return output;
        }

        var normed = _normed!.Take(rows);
        _backend.RmsNorm(output, norm, Config.RmsNormEps, normed);
        return normed;
    }

    public void Dispose()
    {
        Rotary.Dispose();
        _gateUp.Dispose();
        _act.Dispose();
        _down.Dispose();
        _normed?.Dispose();
        _experts?.Dispose();
    }
}
