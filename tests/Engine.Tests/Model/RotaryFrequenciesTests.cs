using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// Rotary frequencies against straightforward double-precision versions of the published formulas (RoFormer,
/// Meta's Llama 3.1 apply_scaling, the YaRN paper, NTK-aware scaling). float32 results agree to ~1e-6 relative.
/// </summary>
public sealed class RotaryFrequenciesTests
{
    private const double Relative = 1e-6;

    private static ModelConfig Config(RopeScaling rope, int headDim = 32, int maxPositions = 4096) => new()
    {
        Path = "test", ModelType = "llama", HiddenSize = 128, IntermediateSize = 256, NumHiddenLayers = 1, NumAttentionHeads = 4,
        NumKeyValueHeads = 4, HeadDim = headDim, VocabSize = 10, RmsNormEps = 1e-5f, MaxPositionEmbeddings = maxPositions, Rope = rope,
    };

    /// <summary>RoFormer: θ_i = base^(−2i/d).</summary>
    private static double[] DefaultDouble(double theta, int dim) => Enumerable.Range(0, dim / 2).Select(i => 1.0 / Math.Pow(theta, 2.0 * i / dim)).ToArray();

    /// <summary>Meta's apply_scaling (llama-models, llama3_1 reference code), in double.</summary>
    private static double[] Llama3Double(double theta, int dim, double factor, double low, double high, double old) =>
        DefaultDouble(theta, dim).Select(f =>
        {
            var wavelen = 2 * Math.PI / f;
            if (wavelen < old / high)
            {
                return f;
            }

            if (wavelen > old / low)
            {
                return f / factor;
            }

            var smooth = ((old / wavelen) - low) / (high - low);
            return ((1 - smooth) * f / factor) + (smooth * f);
        }).ToArray();

    /// <summary>
    /// YaRN "NTK-by-parts" (arXiv 2309.00071, section 3.2): γ = 1 keeps the frequency of dimensions that rotate more than
    /// β_fast times over the original context L, γ = 0 divides by the factor s those that rotate fewer than β_slow
    /// times, linear in the dimension between (the bounds rounded outward when truncating); θ'_d = (1 − γ)·θ_d/s + γ·θ_d.
    /// </summary>
    private static double[] YarnDouble(double theta, int dim, double factor, int original, double betaFast, double betaSlow, bool truncate)
    {
        double DimFor(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double lo = DimFor(betaFast), hi = DimFor(betaSlow);
        if (truncate)
        {
            lo = Math.Floor(lo);
            hi = Math.Ceiling(hi);
        }

        lo = Math.Max(lo, 0);
        hi = Math.Min(hi, dim - 1);
        if (lo == hi)
        {
            hi += 0.001;
        }

        return DefaultDouble(theta, dim).Select((f, i) =>
        {
            var gamma = 1 - Math.Clamp((i - lo) / (hi - lo), 0, 1);
            return ((1 - gamma) * f / factor) + (gamma * f);
        }).ToArray();
    }

    private static void AssertClose(double[] expected, float[] actual, double relative = Relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= expected[i] * relative, $"frequency {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Fact]
    public void Default_rope_is_one_over_theta_to_the_2i_over_d()
    {
        var (inv, scale) = RotaryFrequencies.Compute(Config(new RopeScaling { Theta = 10000 }));
        AssertClose(DefaultDouble(10000, 32), inv);
        Assert.Equal(1f, scale);
    }

    [Fact]
    public void Linear_rope_divides_every_frequency_by_the_factor()
    {
        var (inv, _) = RotaryFrequencies.Compute(Config(new RopeScaling { Type = "linear", Theta = 10000, Factor = 4 }));
        AssertClose(DefaultDouble(10000, 32).Select(f => f / 4).ToArray(), inv);
    }

    [Fact]
    public void Llama3_rope_of_the_golden_bf16_config_matches_the_published_formula()
    {
        var config = ModelConfig.Load(Path.Combine(RepoPaths.Golden("tiny-llama3-bf16"), "config.json"));
        Assert.Equal("llama3", config.Rope.Type);
        var (inv, scale) = RotaryFrequencies.Compute(config);

        // tiny-llama3-bf16: theta 500000, head_dim 32, factor 8, low 1, high 4, original context 256.
        AssertClose(Llama3Double(500000, 32, 8, 1, 4, 256), inv);
        Assert.Equal(1f, scale);
    }

    [Fact]
    public void Llama3_rope_at_llama_3_1_scale_keeps_high_frequencies_scales_low_ones_and_smooths_between()
    {
        var rope = new RopeScaling { Type = "llama3", Theta = 500000, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192 };
        var (inv, _) = RotaryFrequencies.Compute(Config(rope, headDim: 128, maxPositions: 131072));
        var expected = Llama3Double(500000, 128, 8, 1, 4, 8192);
        AssertClose(expected, inv);

        // All three regimes occur at this scale, so the test covers each branch.
        var plain = DefaultDouble(500000, 128);
        Assert.Contains(expected.Select((e, i) => e / plain[i]), r => r == 1);
        Assert.Contains(expected.Select((e, i) => e / plain[i]), r => Math.Abs(r - 0.125) < 1e-12);
        Assert.Contains(expected.Select((e, i) => e / plain[i]), r => r is > 0.125 + 1e-9 and < 1 - 1e-9);
    }

    [Fact]
    public void Dynamic_rope_equals_default_up_to_max_position_embeddings()
    {
        var rope = new RopeScaling { Type = "dynamic", Theta = 10000, Factor = 2 };
        var plain = RotaryFrequencies.Compute(Config(new RopeScaling { Theta = 10000 }, maxPositions: 2048)).InvFreq;
        Assert.Equal(plain, RotaryFrequencies.Compute(Config(rope, maxPositions: 2048), 1000).InvFreq);
        Assert.Equal(plain, RotaryFrequencies.Compute(Config(rope, maxPositions: 2048), 2048).InvFreq);
    }

    [Fact]
    public void Dynamic_rope_beyond_the_context_raises_the_base_by_the_ntk_formula()
    {
        // NTK-aware scaling: base' = base·((s·L'/L) − (s − 1))^(d/(d−2)) for a sequence of L' > L tokens.
        var rope = new RopeScaling { Type = "dynamic", Theta = 10000, Factor = 2 };
        var (inv, _) = RotaryFrequencies.Compute(Config(rope, headDim: 64, maxPositions: 2048), 5000);
        var stretched = 10000 * Math.Pow((2.0 * 5000 / 2048) - 1, 64 / 62.0);
        AssertClose(DefaultDouble(stretched, 64), inv);
    }

    [Theory]
    [InlineData(1e6, 128, 4.0, 32768, 32.0, 1.0, true)]
    [InlineData(1e4, 64, 8.0, 512, 16.0, 2.0, false)]
    [InlineData(1e4, 32, 2.0, 2048, 32.0, 1.0, true)]
    public void Yarn_frequencies_follow_ntk_by_parts(double theta, int dim, double factor, int original, double betaFast, double betaSlow, bool truncate)
    {
        var rope = new RopeScaling { Type = "yarn", Theta = theta, Factor = factor, OriginalMaxPositionEmbeddings = original, BetaFast = betaFast, BetaSlow = betaSlow, Truncate = truncate };
        var (inv, _) = RotaryFrequencies.Compute(Config(rope, headDim: dim));
        AssertClose(YarnDouble(theta, dim, factor, original, betaFast, betaSlow, truncate), inv);
    }

    [Fact]
    public void Yarn_scales_attention_by_point_one_log_factor_plus_one()
    {
        var (_, scale) = RotaryFrequencies.Compute(Config(new RopeScaling { Type = "yarn", Theta = 10000, Factor = 4, OriginalMaxPositionEmbeddings = 1024 }));
        Assert.Equal((float)((0.1 * Math.Log(4)) + 1), scale);
    }

    [Fact]
    public void Yarn_with_mscale_and_mscale_all_dim_divides_their_attention_factors()
    {
        var rope = new RopeScaling { Type = "yarn", Theta = 10000, Factor = 40, OriginalMaxPositionEmbeddings = 4096, MScale = 1.0, MScaleAllDim = 0.5 };
        var (_, scale) = RotaryFrequencies.Compute(Config(rope, headDim: 64, maxPositions: 163840));
        Assert.Equal((float)(((0.1 * 1.0 * Math.Log(40)) + 1) / ((0.1 * 0.5 * Math.Log(40)) + 1)), scale);
    }

    [Fact]
    public void Yarn_explicit_attention_factor_wins()
    {
        var (_, scale) = RotaryFrequencies.Compute(Config(new RopeScaling { Type = "yarn", Theta = 10000, Factor = 2, OriginalMaxPositionEmbeddings = 2048, AttentionFactor = 0.75 }));
        Assert.Equal(0.75f, scale);
    }

    [Fact]
    public void Partial_rotary_factor_rotates_only_the_leading_part_of_the_head()
    {
        var (inv, _) = RotaryFrequencies.Compute(Config(new RopeScaling { Theta = 10000, PartialRotaryFactor = 0.5 }, headDim: 64));
        AssertClose(DefaultDouble(10000, 32), inv);
    }

    [Fact]
    public void Checkpoint_frequencies_of_a_partial_rotary_model_cover_the_rotary_dimension_only()
    {
        var config = Config(new RopeScaling { Theta = 10000, PartialRotaryFactor = 0.75 }, headDim: 64);
        var (inv, scaling) = RotaryFrequencies.ForCheckpoint(config, config.MaxPositionEmbeddings);
        AssertClose(DefaultDouble(10000, 48), inv);
        Assert.Equal(1f, scaling);
    }

    /// <summary>A Phi-3.5-style longrope config: no factor, so factor = max / original = 32.</summary>
    private static ModelConfig LongRopeConfig(double[]? shortFactor = null, double? attentionFactor = null, double? factor = null) => Config(new RopeScaling
    {
        Type = "longrope", Theta = 10000, OriginalMaxPositionEmbeddings = 4096, Factor = factor ?? 32, AttentionFactor = attentionFactor,
        ShortFactor = shortFactor ?? Enumerable.Range(0, 16).Select(i => 1.0 + (0.01 * i)).ToArray(),
        LongFactor = Enumerable.Range(0, 16).Select(i => 1.0 + (3.0 * i)).ToArray(),
    }, headDim: 32, maxPositions: 131072);

    /// <summary>LongRoPE (arXiv 2402.13753) as Phi-3 applies it: θ_i = 1 / (λ_i · base^(2i/d)).</summary>
    private static double[] LongRopeDouble(IReadOnlyList<double> factors, int dim) => DefaultDouble(10000, dim).Select((f, i) => f / factors[i]).ToArray();

    [Fact]
    public void Longrope_uses_the_short_factors_within_the_original_window_and_the_long_ones_beyond()
    {
        var config = LongRopeConfig();
        AssertClose(LongRopeDouble(config.Rope.ShortFactor, 32), RotaryFrequencies.Compute(config, 4096).InvFreq);
        AssertClose(LongRopeDouble(config.Rope.LongFactor, 32), RotaryFrequencies.Compute(config, 4097).InvFreq);
    }

    [Fact]
    public void Longrope_scales_cos_and_sin_by_the_square_root_formula_of_the_context_ratio()
    {
        // transformers' _compute_longrope_parameters: sqrt(1 + ln(factor) / ln(original)), for both tables.
        var expected = (float)Math.Sqrt(1 + (Math.Log(32) / Math.Log(4096)));
        Assert.Equal(expected, RotaryFrequencies.Compute(LongRopeConfig(), 100).AttentionScaling);
        Assert.Equal(expected, RotaryFrequencies.Compute(LongRopeConfig(), 100_000).AttentionScaling);
        Assert.Equal(0.9f, RotaryFrequencies.Compute(LongRopeConfig(attentionFactor: 0.9), 100).AttentionScaling);
        Assert.Equal(1f, RotaryFrequencies.Compute(LongRopeConfig(factor: 1), 100).AttentionScaling);
    }

    [Fact]
    public void An_engine_context_beyond_the_original_window_rotates_every_sequence_with_the_long_factors()
    {
        var config = LongRopeConfig();
        Assert.False(RotaryFrequencies.UsesLongFactors(config, 4096));
        Assert.True(RotaryFrequencies.UsesLongFactors(config, 4097));
        AssertClose(LongRopeDouble(config.Rope.LongFactor, 32), RotaryFrequencies.ForCheckpoint(config, 131072).InvFreq);
        AssertClose(LongRopeDouble(config.Rope.ShortFactor, 32), RotaryFrequencies.ForCheckpoint(config, 2048).InvFreq);
    }

    [Fact]
    public void Longrope_factor_lists_of_the_wrong_length_are_refused_naming_the_expected_count()
    {
        var e = Assert.Throws<ModelLoadException>(() => RotaryFrequencies.Compute(LongRopeConfig(shortFactor: [1.0, 1.0]), 10));
        Assert.Contains("short_factor (2)", e.Message);
        Assert.Contains("16", e.Message);
    }

    [Fact]
    public void Bf16_checkpoint_frequencies_are_the_float32_ones_rounded_to_bf16()
    {
        var config = ModelConfig.Load(Path.Combine(RepoPaths.Golden("tiny-llama3-bf16"), "config.json"));
        Assert.Equal("bfloat16", config.TorchDtype);
        var exact = RotaryFrequencies.Compute(config).InvFreq;
        var rounded = RotaryFrequencies.ForCheckpoint(config, config.MaxPositionEmbeddings).InvFreq;
        for (var i = 0; i < exact.Length; i++)
        {
            var bits = BitConverter.SingleToUInt32Bits(rounded[i]);
            Assert.Equal(0u, bits & 0xFFFF);
            Assert.True(Math.Abs(rounded[i] - exact[i]) <= exact[i] * Math.Pow(2, -8), $"frequency {i}: {rounded[i]} is not {exact[i]} rounded to bf16");
        }
    }
}
