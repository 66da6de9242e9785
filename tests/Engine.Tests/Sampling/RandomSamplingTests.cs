using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

public sealed class RandomSamplingTests
{
    private const int Samples = 20_000;

    [Fact]
    public void Temperature_one_draws_follow_the_softmax()
    {
        float[] logits = SamplingReference.RandomLogits(200, 1.5, seed: 5);
        var sampler = new TokenSampler(new SamplingParams { Seed = 5 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits));
    }

    [Fact]
    public void Temperature_divides_the_logits_before_the_softmax()
    {
        float[] logits = SamplingReference.RandomLogits(200, 1.5, seed: 6);
        var sampler = new TokenSampler(new SamplingParams { Temperature = 0.6f, Seed = 6 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, temperature: 0.6f));
    }

    [Fact]
    public void Same_seed_gives_the_same_tokens()
    {
        float[] logits = SamplingReference.RandomLogits(32_000, 2, seed: 7);
        var parameters = new SamplingParams { Temperature = 0.9f, TopP = 0.95f, Seed = 1234 };

        int[] first = Draw(new TokenSampler(parameters, logits.Length), logits, 100);
        int[] second = Draw(new TokenSampler(parameters, logits.Length), logits, 100);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Different_seeds_give_different_tokens()
    {
        float[] logits = SamplingReference.RandomLogits(32_000, 2, seed: 8);

        int[] first = Draw(new TokenSampler(new SamplingParams { Seed = 1 }, logits.Length), logits, 100);
        int[] second = Draw(new TokenSampler(new SamplingParams { Seed = 2 }, logits.Length), logits, 100);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Unseeded_samplers_draw_their_own_seed()
    {
        var parameters = new SamplingParams();

        long first = new TokenSampler(parameters, 10).Seed;
        long second = new TokenSampler(parameters, 10).Seed;

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Reporting_the_drawn_seed_reproduces_an_unseeded_run()
    {
        float[] logits = SamplingReference.RandomLogits(5000, 2, seed: 9);
        var unseeded = new TokenSampler(new SamplingParams(), logits.Length);

        int[] original = Draw(unseeded, logits, 50);
        int[] replay = Draw(new TokenSampler(new SamplingParams { Seed = unseeded.Seed }, logits.Length), logits, 50);

        Assert.Equal(original, replay);
    }

    [Fact]
    public void Masked_tokens_are_never_drawn()
    {
        float[] logits = SamplingReference.RandomLogits(1000, 1, seed: 10);
        for (int i = 0; i < logits.Length; i += 2)
        {
            logits[i] = float.NegativeInfinity;
        }

        var sampler = new TokenSampler(new SamplingParams { Temperature = 3f, Seed = 10 }, logits.Length);

        Assert.All(Draw(sampler, logits, 5000), token => Assert.Equal(1, token % 2));
    }

    internal static int[] Draw(TokenSampler sampler, float[] logits, int count)
    {
        var tokens = new int[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = sampler.Sample((float[])logits.Clone());
        }

        return tokens;
    }
}
