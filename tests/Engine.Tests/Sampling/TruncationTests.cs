using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

public sealed class TruncationTests
{
    private const int Samples = 20_000;

    [Fact]
    public void Top_k_never_draws_outside_the_k_best()
    {
        float[] logits = SamplingReference.RandomLogits(32_000, 1, seed: 20);
        float fortieth = logits[SamplingReference.Ranked(logits)[39]];
        var best = Enumerable.Range(0, logits.Length).Where(i => logits[i] >= fortieth).ToHashSet();
        var sampler = new TokenSampler(new SamplingParams { TopK = 40, Temperature = 2f, Seed = 20 }, logits.Length);

        Assert.All(RandomSamplingTests.Draw(sampler, logits, 2000), token => Assert.Contains(token, best));
    }

    [Fact]
    public void Top_k_keeps_every_token_tied_with_the_kth_best()
    {
        // Best logits 5, 4, then 3 at ids 9, 30 and 700: top-k 3 keeps all five, as HF's warper does.
        float[] logits = new float[1000];
        logits[500] = 5f;
        logits[2] = 4f;
        logits[9] = logits[30] = logits[700] = 3f;
        var sampler = new TokenSampler(new SamplingParams { TopK = 3, Seed = 19 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        Assert.Equal(Samples, counts[500] + counts[2] + counts[9] + counts[30] + counts[700]);
        Assert.All(new[] { 9, 30, 700 }, id => Assert.True(counts[id] > 0, $"tied token {id} was never drawn"));
        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, topK: 3));
    }

    [Fact]
    public void Top_k_draws_follow_the_renormalised_softmax_of_the_k_best()
    {
        float[] logits = SamplingReference.RandomLogits(5000, 1, seed: 21);
        var sampler = new TokenSampler(new SamplingParams { TopK = 30, Temperature = 0.8f, Seed = 21 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, temperature: 0.8f, topK: 30));
    }

    [Fact]
    public void Top_p_keeps_the_smallest_prefix_reaching_p()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05 spread over the ids: with p = 0.75 the nucleus is {0.5, 0.3}.
        float[] logits = new float[64];
        Array.Fill(logits, float.NegativeInfinity);
        logits[40] = MathF.Log(0.5f);
        logits[7] = MathF.Log(0.3f);
        logits[63] = MathF.Log(0.15f);
        logits[0] = MathF.Log(0.05f);
        var sampler = new TokenSampler(new SamplingParams { TopP = 0.75f, Seed = 22 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        Assert.Equal(Samples, counts[40] + counts[7]);
        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, topP: 0.75));
    }

    [Fact]
    public void Top_p_below_the_best_probability_keeps_only_the_best_token()
    {
        float[] logits = SamplingReference.RandomLogits(32_000, 1, seed: 23);
        int best = SamplingReference.Ranked(logits)[0];
        var sampler = new TokenSampler(new SamplingParams { TopP = 1e-6f, Seed = 23 }, logits.Length);

        Assert.All(RandomSamplingTests.Draw(sampler, logits, 200), token => Assert.Equal(best, token));
    }

    [Fact]
    public void Top_p_over_a_large_vocabulary_follows_the_fully_sorted_nucleus()
    {
        // A nucleus of hundreds of tokens makes the sampler rank in several growing chunks.
        float[] logits = SamplingReference.RandomLogits(32_000, 2.5, seed: 24);
        double[] expected = SamplingReference.Distribution(logits, temperature: 0.9, topP: 0.6);
        var sampler = new TokenSampler(new SamplingParams { Temperature = 0.9f, TopP = 0.6f, Seed = 24 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        Assert.InRange(expected.Count(p => p > 0), 65, 31_000);
        SamplingReference.AssertFollows(counts, expected);
    }

    [Fact]
    public void Top_p_among_equal_logits_keeps_the_lowest_ids()
    {
        // 1000 equal weights, p = 0.5: exactly the first 500 ids reach half the mass.
        float[] logits = new float[1000];
        var sampler = new TokenSampler(new SamplingParams { TopP = 0.5f, Seed = 29 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        Assert.Equal(Samples, counts.Take(500).Sum());
        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, topP: 0.5));
    }

    [Fact]
    public void Top_p_applies_to_the_renormalised_top_k()
    {
        float[] logits = SamplingReference.RandomLogits(5000, 2, seed: 25);
        var parameters = new SamplingParams { TopK = 50, TopP = 0.7f, Temperature = 1.2f, Seed = 25 };
        var sampler = new TokenSampler(parameters, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, temperature: 1.2, topK: 50, topP: 0.7));
    }

    [Fact]
    public void Min_p_drops_tokens_below_a_fraction_of_the_best_probability()
    {
        // Probabilities 0.4, 0.3, 0.2, 0.06, 0.04; min_p 0.2 → threshold 0.08 keeps the first three.
        float[] probabilities = [0.06f, 0.3f, 0.04f, 0.4f, 0.2f];
        float[] logits = probabilities.Select(p => MathF.Log(p)).ToArray();
        var sampler = new TokenSampler(new SamplingParams { MinP = 0.2f, Seed = 26 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        Assert.Equal(0, counts[0] + counts[2]);
        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, minP: 0.2));
    }

    [Fact]
    public void Min_p_after_top_k_and_top_p_follows_hf_order()
    {
        float[] logits = SamplingReference.RandomLogits(5000, 2, seed: 27);
        var parameters = new SamplingParams { TopK = 200, TopP = 0.9f, MinP = 0.05f, Temperature = 0.7f, Seed = 27 };
        var sampler = new TokenSampler(parameters, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, temperature: 0.7, topK: 200, topP: 0.9, minP: 0.05));
    }

    [Fact]
    public void Min_p_over_the_whole_vocabulary_follows_the_reference()
    {
        float[] logits = SamplingReference.RandomLogits(2000, 1.5, seed: 28);
        var sampler = new TokenSampler(new SamplingParams { MinP = 0.1f, Seed = 28 }, logits.Length);

        int[] counts = SamplingReference.Histogram(sampler, logits, Samples);

        SamplingReference.AssertFollows(counts, SamplingReference.Distribution(logits, minP: 0.1));
    }
}
