using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;

namespace InferMesh.Engine.Tests.Model;

/// <summary>Rotary frequencies against straightforward double-precision versions of the published formulas.</summary>
public sealed class RotaryFrequenciesTests
{
    private static ModelConfig Config(RopeScaling rope, int headDim = 32, int maxPositions = 4096) => new()
    {
        Path = "test", ModelType = "llama", HiddenSize = 128, IntermediateSize = 256, NumHiddenLayers = 1, NumAttentionHeads = 4,
        NumKeyValueHeads = 4, HeadDim = headDim, VocabSize = 10, RmsNormEps = 1e-5f, MaxPositionEmbeddings = maxPositions, Rope = rope,
    };

    private static double[] DefaultDouble(double theta, int dim) => Enumerable.Range(0, dim / 2).Select(i => 1.0 / Math.Pow(theta, 2.0 * i / dim)).ToArray();

    [Fact]
    public void Default_rope_is_one_over_theta_to_the_2i_over_d()
    {
        var (inv, scale) = RotaryFrequencies.Compute(Config(new RopeScaling { Theta = 10000 }));
        var expected = DefaultDouble(10000, 32);
        for (var i = 0; i < inv.Length; i++)
        {
            Assert.Equal(expected[i], inv[i], expected[i] * 1e-6);
        }

        Assert.Equal(1f, scale);
    }

    [Fact]
    public void Linear_rope_divides_every_frequency_by_the_factor()
    {
        var (inv, _) = RotaryFrequencies.Compute(Config(new RopeScaling { Type = "linear", Theta = 10000, Factor = 4 }));
        var expected = DefaultDouble(10000, 32);
        for (var i = 0; i < inv.Length; i++)
        {
            Assert.Equal(expected[i] / 4, inv[i], expected[i] * 1e-6);
        }
    }

    [Fact]
    public void Llama3_rope_keeps_high_frequencies_scales_low_ones_and_smooths_between()
    {
        // Meta's published llama3 scaling (apply_scaling in llama/model.py), in double.
        const double theta = 500000, factor = 8, low = 1, high = 4, old = 256;
        var (inv, _) = RotaryFrequencies.Compute(Config(new RopeScaling { Type = "llama3", Theta = theta, Factor = factor, LowFreqFactor = low, HighFreqFactor = high, OriginalMaxPositionEmbeddings = 256 }));
        var baseFreq = DefaultDouble(theta, 32);
        for (var i = 0; i < inv.Length; i++)
        {
            var wavelen = 2 * Math.PI / baseFreq[i];
            double expected;
            if (wavelen < old / high)
            {
                expected = baseFreq[i];
            }
            else if (wavelen > old / low)
            {
                expected = baseFreq[i] / factor;
            }
            else
            {
                var smooth = ((old / wavelen) - low) / (high - low);
                expected = ((1 - smooth) * baseFreq[i] / factor) + (smooth * baseFreq[i]);
            }

            Assert.Equal(expected, inv[i], expected * 1e-5);
        }
    }

    [Fact]
    public void Dynamic_rope_equals_default_within_the_original_context()
    {
        var rope = new RopeScaling { Type = "dynamic", Theta = 10000, Factor = 2, OriginalMaxPositionEmbeddings = 2048 };
        Assert.Equal(RotaryFrequencies.Compute(Config(new RopeScaling { Theta = 10000 })).InvFreq, RotaryFrequencies.Compute(Config(rope), 1000).InvFreq);
        Assert.NotEqual(RotaryFrequencies.Compute(Config(new RopeScaling { Theta = 10000 })).InvFreq, RotaryFrequencies.Compute(Config(rope), 4096).InvFreq);
    }

    [Fact]
    public void Yarn_scales_attention_by_point_one_log_factor_plus_one()
    {
        var (_, scale) = RotaryFrequencies.Compute(Config(new RopeScaling { Type = "yarn", Theta = 10000, Factor = 4, OriginalMaxPositionEmbeddings = 1024 }));
        Assert.Equal((0.1 * Math.Log(4)) + 1, scale, 1e-6);
    }
}
