using InferMesh.Engine.Loading;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Engine.Model;

/// <summary>
/// Rotary inverse frequencies and attention scaling exactly as transformers computes them
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/modeling_rope_utils.py:
/// _compute_default/linear_scaling/dynamic_ntk/llama3/yarn_parameters). Every step is done in float32 where torch
/// does it in float32, in torch's order: a Python scalar meeting a float32 tensor is rounded to float32 first, and
/// <c>scalar / tensor</c> is <c>tensor.reciprocal() * scalar</c> (torch's Tensor.__rtruediv__), not one division.
/// Scalar-only arithmetic (the dynamic base, the yarn correction range, the attention factor) stays in double as in
/// Python.
/// </summary>
public static class RotaryFrequencies
{
    /// <summary>Inverse frequencies [rotaryDim/2] and the cos/sin scaling for sequences up to the configured context.</summary>
    public static (float[] InvFreq, float AttentionScaling) Compute(ModelConfig config) => Compute(config, config.MaxPositionEmbeddings);

    /// <summary>
    /// The frequencies as transformers holds them for a checkpoint saved in bf16/fp16, for an engine whose sequences
    /// reach at most <paramref name="contextLength"/> tokens: a model cast with <c>model.to(dtype)</c> casts its
    /// <c>inv_freq</c> buffer too, so the rotation angles use frequencies rounded to that dtype (measured: with float32
    /// frequencies the bf16 golden model drifts by up to 10 logits at position 1000; rounded, it matches within 7e-5).
    /// fp32 checkpoints keep float32 frequencies. longrope's long table is computed in float32 during the forward pass
    /// (transformers' longrope_frequency_update), so it stays unrounded.
    /// </summary>
    public static (float[] InvFreq, float AttentionScaling) ForCheckpoint(ModelConfig config, int contextLength)
    {
        var (inv, scaling) = Compute(config, contextLength);
        if (UsesLongFactors(config, contextLength))
        {
            return (inv, scaling);
        }

        for (var i = 0; i < inv.Length; i++)
        {
            inv[i] = config.TorchDtype switch
            {
                "bfloat16" => FloatConversion.BFloat16ToSingle(FloatConversion.SingleToBFloat16(inv[i])),
                "float16" => (float)(Half)inv[i],
                _ => inv[i],
            };
        }

        return (inv, scaling);
    }

    /// <summary>The frequencies every forward pass over <paramref name="weights"/> rotates with.</summary>
    public static (float[] InvFreq, float AttentionScaling) ForWeights(LlamaWeights weights) => ForCheckpoint(weights.Config, weights.RotaryContextLength);

    /// <summary>
    /// Whether a longrope model rotates with its long factors. transformers picks the table per forward pass (long when
    /// max(position_ids) + 1 exceeds original_max_position_embeddings), which would rotate a sequence's cached keys with
    /// the short table and its later queries with the long one. The engine picks once for all sequences: long when its
    /// context can exceed the original window, so every key and query of every sequence shares one table. An engine
    /// limited to the original window therefore equals transformers exactly; a longer one equals it for sequences
    /// beyond the window (and, for shorter ones, differs by the table choice — limit the context to get short factors).
    /// </summary>
    public static bool UsesLongFactors(ModelConfig config, int contextLength) =>
        config.Rope.Type == "longrope" && contextLength > (config.Rope.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings);

    /// <summary>
    /// Frequencies for a forward pass whose longest sequence is <paramref name="sequenceLength"/> tokens (transformers
    /// passes max(position_ids) + 1). Only dynamic NTK scaling and longrope depend on it; every other type ignores it.
    /// With <c>partial_rotary_factor</c> p the rotary dimension is int(head_dim·p) and fewer frequencies come back.
    /// </summary>
    public static (float[] InvFreq, float AttentionScaling) Compute(ModelConfig config, int sequenceLength)
    {
        var rope = config.Rope;
        var dim = (int)(config.HeadDim * rope.PartialRotaryFactor);
        if (dim <= 0 || dim % 2 != 0 || dim > config.HeadDim)
        {
            throw new ModelLoadException($"{config.Path}: head_dim {config.HeadDim} × partial_rotary_factor {rope.PartialRotaryFactor} gives rotary dimension {dim}; it must be even, positive and at most head_dim.");
        }

        return rope.Type switch
        {
            "default" => (Default(rope.Theta, dim), 1f),
            "linear" => (Linear(rope, dim), 1f),
            "dynamic" => (Dynamic(config, rope, dim, sequenceLength), 1f),
            "llama3" => (Llama3(config, rope, dim), 1f),
            "yarn" => Yarn(config, rope, dim),
            "longrope" => LongRope(config, rope, dim, sequenceLength),
            _ => throw new ModelLoadException($"{config.Path}: rope type '{rope.Type}' is not supported (supported: default, linear, dynamic, llama3, yarn, longrope)."),
        };
    }

    /// <summary>inv_freq = 1.0 / (base ** (arange(0, dim, 2).float() / dim)), all float32 like torch.</summary>
    private static float[] Default(double theta, int dim)
    {
        var inv = new float[dim / 2];
        var b = (float)theta;
        for (var i = 0; i < inv.Length; i++)
        {
            inv[i] = 1f / MathF.Pow(b, (2 * i) / (float)dim);
        }

        return inv;
    }

    /// <summary>inv_freq /= factor.</summary>
    private static float[] Linear(RopeScaling rope, int dim)
    {
        var inv = Default(rope.Theta, dim);
        var factor = (float)rope.Factor;
        for (var i = 0; i < inv.Length; i++)
        {
            inv[i] /= factor;
        }

        return inv;
    }

    /// <summary>
    /// NTK-aware base: base·((factor·seq/max_pos) − (factor − 1))^(dim/(dim−2)) with seq = max(seq, max_pos), so
    /// within max_position_embeddings it is exactly the default rope (transformers uses max_position_embeddings here,
    /// not original_max_position_embeddings).
    /// </summary>
    private static float[] Dynamic(ModelConfig config, RopeScaling rope, int dim, int sequenceLength)
    {
        var max = config.MaxPositionEmbeddings;
        var seq = Math.Max(sequenceLength, max);
        var theta = rope.Theta * Math.Pow((rope.Factor * seq / max) - (rope.Factor - 1), dim / (dim - 2.0));
        return Default(theta, dim);
    }

    /// <summary>
    /// Llama 3.1 scaling: wavelengths shorter than original/high_freq_factor keep their frequency, longer than
    /// original/low_freq_factor are divided by factor, and those between are interpolated smoothly.
    /// </summary>
    private static float[] Llama3(ModelConfig config, RopeScaling rope, int dim)
    {
        var inv = Default(rope.Theta, dim);
        var old = (double)(rope.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings);
        var factor = (float)rope.Factor;
        var lowWavelen = (float)(old / rope.LowFreqFactor);
        var highWavelen = (float)(old / rope.HighFreqFactor);
        var twoPi = (float)(2 * Math.PI);
        var oldF = (float)old;
        var low = (float)rope.LowFreqFactor;
        var span = (float)(rope.HighFreqFactor - rope.LowFreqFactor);
        for (var i = 0; i < inv.Length; i++)
        {
            var wavelen = (1f / inv[i]) * twoPi;
            var scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
            var smooth = (((1f / wavelen) * oldF) - low) / span;
            var smoothed = ((1f - smooth) * scaled / factor) + (smooth * scaled);
            var medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            inv[i] = medium ? smoothed : scaled;
        }

        return inv;
    }

    /// <summary>YaRN (https://arxiv.org/abs/2309.00071): NTK-by-parts interpolation plus an attention (mscale) factor.</summary>
    private static (float[], float) Yarn(ModelConfig config, RopeScaling rope, int dim)
    {
        var factor = rope.Factor;
        var original = rope.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings;
        static double MScale(double scale, double m) => scale <= 1 ? 1.0 : (0.1 * m * Math.Log(scale)) + 1.0;
        var attention = rope.AttentionFactor
            ?? (rope.MScale is { } m and not 0 && rope.MScaleAllDim is { } mAll and not 0 ? MScale(factor, m) / MScale(factor, mAll) : MScale(factor, 1));

        double CorrectionDim(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(rope.Theta));
        var low = CorrectionDim(rope.BetaFast);
        var high = CorrectionDim(rope.BetaSlow);
        if (rope.Truncate)
        {
            low = Math.Floor(low);
            high = Math.Ceiling(high);
        }

        low = Math.Max(low, 0);
        high = Math.Min(high, dim - 1);
        if (low == high)
        {
            high += 0.001; // transformers: prevent singularity
        }

        var lowF = (float)low;
        var rampSpan = (float)(high - low);
        var b = (float)rope.Theta;
        var factorF = (float)factor;
        var inv = new float[dim / 2];
        for (var i = 0; i < inv.Length; i++)
        {
            var posFreq = MathF.Pow(b, (2 * i) / (float)dim);
            var extrapolation = 1f / posFreq;
            var interpolation = 1f / (factorF * posFreq);
            var ramp = Math.Clamp((i - lowF) / rampSpan, 0f, 1f);
            var extrapolationFactor = 1f - ramp;
            inv[i] = (interpolation * (1f - extrapolationFactor)) + (extrapolation * extrapolationFactor);
        }

        return (inv, (float)attention);
    }

    /// <summary>
    /// LongRoPE (https://arxiv.org/abs/2402.13753) as Phi-3 uses it: inv_freq = 1 / (ext · base^(2i/d)) with ext the
    /// long factors for sequences longer than original_max_position_embeddings and the short ones otherwise; cos/sin
    /// are scaled by attention_factor, default sqrt(1 + ln(factor) / ln(original)) (transformers'
    /// _compute_longrope_parameters).
    /// </summary>
    private static (float[], float) LongRope(ModelConfig config, RopeScaling rope, int dim, int sequenceLength)
    {
        var original = rope.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings;
        var factors = sequenceLength > original ? rope.LongFactor : rope.ShortFactor;
        if (rope.ShortFactor.Count != dim / 2 || rope.LongFactor.Count != dim / 2)
        {
            throw new ModelLoadException($"{config.Path}: longrope short_factor ({rope.ShortFactor.Count}) and long_factor ({rope.LongFactor.Count}) must each hold rotary dimension / 2 = {dim / 2} numbers.");
        }

        var attention = rope.AttentionFactor ?? (rope.Factor <= 1 ? 1.0 : Math.Sqrt(1 + (Math.Log(rope.Factor) / Math.Log(original))));
        var b = (float)rope.Theta;
        var inv = new float[dim / 2];
        for (var i = 0; i < inv.Length; i++)
        {
            inv[i] = 1f / ((float)factors[i] * MathF.Pow(b, (2 * i) / (float)dim));
        }

        return (inv, (float)attention);
    }
}
