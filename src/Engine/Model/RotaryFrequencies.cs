using InferMesh.Engine.Loading;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Engine.Model;

/// <summary>
/// Rotary inverse frequencies and attention scaling exactly as transformers computes them
/// (modeling_rope_utils.py: _compute_default/linear/dynamic_ntk/llama3/yarn_parameters), in float32 where torch
/// uses float32, so positions rotate identically to the reference.
/// </summary>
public static class RotaryFrequencies
{
    /// <summary>Inverse frequencies [headDim/2] and the cos/sin scaling for sequences up to the configured context.</summary>
    public static (float[] InvFreq, float AttentionScaling) Compute(ModelConfig config) => Compute(config, config.MaxPositionEmbeddings);

    /// <summary>
    /// The frequencies as transformers holds them for a checkpoint saved in bf16/fp16: a model cast with
    /// <c>model.to(dtype)</c> casts its <c>inv_freq</c> buffer too, so the rotation angles use frequencies rounded to
    /// that dtype (measured: with float32 frequencies the bf16 golden model drifts by up to 10 logits at position
    /// 1000; rounded, it matches within 7e-5). fp32 checkpoints keep float32 frequencies.
    /// </summary>
    public static (float[] InvFreq, float AttentionScaling) ForCheckpoint(ModelConfig config)
    {
        var (inv, scaling) = Compute(config);
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

    /// <summary>Dynamic NTK scaling depends on the sequence length; every other type ignores it.</summary>
    public static (float[] InvFreq, float AttentionScaling) Compute(ModelConfig config, int sequenceLength)
    {
        var rope = config.Rope;
        if (rope.PartialRotaryFactor != 1)
        {
            throw new ModelLoadException($"{config.Path}: partial_rotary_factor {rope.PartialRotaryFactor} is not supported (Llama-family models rotate the whole head).");
        }

        var dim = config.HeadDim;
        return rope.Type switch
        {
            "default" => (Default(rope.Theta, dim), 1f),
            "linear" => (Default(rope.Theta, dim).Select(f => f / (float)rope.Factor).ToArray(), 1f),
            "dynamic" => (Dynamic(config, rope, dim, sequenceLength), 1f),
            "llama3" => (Llama3(config, rope, dim), 1f),
            "yarn" => Yarn(config, rope, dim),
            _ => throw new ModelLoadException($"{config.Path}: rope type '{rope.Type}' is not supported."),
        };
    }

    /// <summary>inv_freq = 1 / (base ** (arange(0, dim, 2) / dim)), float32 like torch.</summary>
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

    private static float[] Dynamic(ModelConfig config, RopeScaling rope, int dim, int sequenceLength)
    {
        var original = rope.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings;
        if (sequenceLength <= original)
        {
            return Default(rope.Theta, dim);
        }

        var theta = rope.Theta * Math.Pow((rope.Factor * sequenceLength / original) - (rope.Factor - 1), dim / (dim - 2.0));
        return Default(theta, dim);
    }

    private static float[] Llama3(ModelConfig config, RopeScaling rope, int dim)
    {
        var inv = Default(rope.Theta, dim);
        var factor = (float)rope.Factor;
        var low = (float)rope.LowFreqFactor;
        var high = (float)rope.HighFreqFactor;
        var old = (float)(rope.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings);
        var lowWavelen = old / low;
        var highWavelen = old / high;
        for (var i = 0; i < inv.Length; i++)
        {
            var wavelen = 2f * MathF.PI / inv[i];
            var scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
            var medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                var smooth = ((old / wavelen) - low) / (high - low);
                scaled = ((1 - smooth) * scaled / factor) + (smooth * scaled);
            }

            inv[i] = scaled;
        }

        return inv;
    }

    private static (float[], float) Yarn(ModelConfig config, RopeScaling rope, int dim)
    {
        var factor = rope.Factor;
        var original = rope.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings;
        static double MScale(double scale, double m) => scale <= 1 ? 1.0 : (0.1 * m * Math.Log(scale)) + 1.0;
        var attention = rope.AttentionFactor
            ?? (rope.MScale is { } m && rope.MScaleAllDim is { } mAll && m != 0 && mAll != 0 ? MScale(factor, m) / MScale(factor, mAll) : MScale(factor, 1));

        double CorrectionDim(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(rope.Theta));
        var lowD = CorrectionDim(rope.BetaFast);
        var highD = CorrectionDim(rope.BetaSlow);
        if (rope.Truncate)
        {
            lowD = Math.Floor(lowD);
            highD = Math.Ceiling(highD);
        }

        var lo = (float)Math.Max(lowD, 0);
        var hi = (float)Math.Min(highD, dim - 1);
        if (lo == hi)
        {
            hi += 0.001f;
        }

        var b = (float)rope.Theta;
        var inv = new float[dim / 2];
        for (var i = 0; i < inv.Length; i++)
        {
            var posFreq = MathF.Pow(b, (2 * i) / (float)dim);
            var extrapolation = 1f / posFreq;
            var interpolation = 1f / ((float)factor * posFreq);
            var ramp = Math.Clamp((i - lo) / (hi - lo), 0f, 1f);
            var extrapolationFactor = 1f - ramp;
            inv[i] = (interpolation * (1 - extrapolationFactor)) + (extrapolation * extrapolationFactor);
        }

        return (inv, (float)attention);
    }
}
