using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>OpenAI's logit_bias: a number added to the named tokens' logits before sampling; logprobs stay unbiased (vLLM).</summary>
public sealed class LogitBiasTests
{
    private static readonly float[] Logits = [2.0f, -1.0f, 0.5f, 0.0f, 3.0f, -2.5f];

    [Fact]
    public void Minus_100_bans_the_token_greedy_decoding_would_pick()
    {
        var sampler = new TokenSampler(new SamplingParams { Temperature = 0f, LogitBias = new Dictionary<int, float> { [4] = -100f } }, Logits.Length);

        Assert.Equal(0, sampler.Sample((float[])Logits.Clone()));
    }

    [Fact]
    public void Plus_100_forces_an_unlikely_token_even_when_sampling()
    {
        var sampler = new TokenSampler(new SamplingParams { Temperature = 1f, Seed = 7, LogitBias = new Dictionary<int, float> { [5] = 100f } }, Logits.Length);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(5, sampler.Sample((float[])Logits.Clone()));
        }
    }

    [Fact]
    public void Logprobs_report_the_unbiased_distribution()
    {
        var biased = new TokenSampler(new SamplingParams { Temperature = 0f, Logprobs = true, TopLogprobs = 3, LogitBias = new Dictionary<int, float> { [2] = 10f } }, Logits.Length);
        var plain = new TokenSampler(new SamplingParams { Temperature = 0f, Logprobs = true, TopLogprobs = 3 }, Logits.Length);

        Assert.Equal(2, biased.Sample((float[])Logits.Clone(), out var biasedLogprob));
        plain.Sample((float[])Logits.Clone(), out var plainLogprob);

        var expected = 0.5 - Math.Log(Logits.Sum(l => Math.Exp(l)));
        Assert.Equal(expected, biasedLogprob!.Logprob, 5);
        Assert.Equal(3, biasedLogprob.TopAlternatives.Count);
        Assert.Equal(plainLogprob!.TopAlternatives, biasedLogprob.TopAlternatives);
    }

    [Fact]
    public void A_token_outside_the_vocabulary_is_refused_naming_logit_bias()
    {
        var error = Assert.Throws<ArgumentException>(() => new TokenSampler(new SamplingParams { LogitBias = new Dictionary<int, float> { [6] = 1f } }, Logits.Length));

        Assert.Equal("logit_bias", error.ParamName);
        Assert.Contains("vocabulary of 6 tokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bias_beyond_100_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new SamplingParams { LogitBias = new Dictionary<int, float> { [1] = 101f } }.Validate());

        Assert.Equal("logit_bias", error.ParamName);
    }
}
