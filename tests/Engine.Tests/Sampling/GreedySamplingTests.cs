using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

public sealed class GreedySamplingTests
{
    [Fact]
    public void Greedy_picks_the_argmax()
    {
        float[] logits = SamplingReference.RandomLogits(5000, 3, seed: 1);
        int expected = Array.IndexOf(logits, logits.Max());

        var sampler = new TokenSampler(SamplingParams.Greedy, logits.Length);

        Assert.Equal(expected, sampler.Sample(logits));
    }

    [Theory]
    [InlineData(3, 17)]
    [InlineData(40, 41)]
    [InlineData(0, 999)]
    public void Greedy_ties_go_to_the_lowest_token_id(int first, int second)
    {
        float[] logits = SamplingReference.RandomLogits(1000, 1, seed: 2);
        logits[first] = 50f;
        logits[second] = 50f;

        var sampler = new TokenSampler(SamplingParams.Greedy, logits.Length);

        Assert.Equal(first, sampler.Sample(logits));
    }

    [Fact]
    public void Top_k_of_one_picks_the_unique_best()
    {
        float[] logits = SamplingReference.RandomLogits(3000, 2, seed: 3);
        int expected = Array.IndexOf(logits, logits.Max());
        var sampler = new TokenSampler(new SamplingParams { Temperature = 1.5f, TopK = 1, Seed = 3 }, logits.Length);

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(expected, sampler.Sample((float[])logits.Clone()));
        }
    }

    [Theory]
    [InlineData(1e-3f)]
    [InlineData(1e-6f)]
    public void Temperature_near_zero_matches_greedy(float temperature)
    {
        // Distinct logits 0.05 apart: at T = 1e-3 the runner-up has relative weight e^-50.
        float[] logits = Enumerable.Range(0, 1000).Select(i => (i * 7919 % 1000) * 0.05f).ToArray();
        int greedy = new TokenSampler(SamplingParams.Greedy, logits.Length).Sample((float[])logits.Clone());
        var sampler = new TokenSampler(new SamplingParams { Temperature = temperature, Seed = 11 }, logits.Length);

        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(greedy, sampler.Sample((float[])logits.Clone()));
        }
    }

    [Fact]
    public void Nan_logits_are_reported_with_the_token_id()
    {
        float[] logits = SamplingReference.RandomLogits(100, 1, seed: 4);
        logits[37] = float.NaN;
        var sampler = new TokenSampler(new SamplingParams { Seed = 1 }, logits.Length);

        var error = Assert.Throws<InvalidOperationException>(() => sampler.Sample(logits));

        Assert.Contains("token 37 is NaN", error.Message);
    }

    [Fact]
    public void Logits_of_the_wrong_length_are_rejected()
    {
        var sampler = new TokenSampler(SamplingParams.Greedy, 100);

        var error = Assert.Throws<ArgumentException>(() => sampler.Sample(new float[99]));

        Assert.Contains("vocabulary of 100", error.Message);
    }
}
