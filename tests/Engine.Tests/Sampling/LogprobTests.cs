using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>Logprobs are vLLM's raw_logprobs: log-softmax of the model's logits before penalties and temperature.</summary>
public sealed class LogprobTests
{
    private static readonly SamplingParams WithLogprobs = new()
    {
        Logprobs = true, TopLogprobs = 5, Temperature = 0.7f, TopK = 100, RepetitionPenalty = 1.5f, PresencePenalty = 1f, Seed = 30,
    };

    [Fact]
    public void Logprob_of_the_chosen_token_is_the_raw_log_softmax()
    {
        float[] logits = SamplingReference.RandomLogits(50_000, 3, seed: 30);
        double[] expected = SamplingReference.LogSoftmax(logits);
        var sampler = new TokenSampler(WithLogprobs, logits.Length, promptTokenIds: [.. SamplingReference.Ranked(logits).Take(3)]);

        for (int step = 0; step < 10; step++)
        {
            int token = sampler.Sample((float[])logits.Clone(), out TokenLogprob? logprob);

            Assert.NotNull(logprob);
            Assert.Equal(token, logprob.TokenId);
            Assert.Equal(expected[token], logprob.Logprob, 1e-5);
        }
    }

    [Fact]
    public void Top_logprobs_are_the_n_most_likely_tokens_best_first()
    {
        float[] logits = SamplingReference.RandomLogits(50_000, 3, seed: 31);
        logits[10] = logits[20] = logits.Max() + 1;
        double[] expected = SamplingReference.LogSoftmax(logits);
        int[] best = SamplingReference.Ranked(logits).Take(5).ToArray();
        var sampler = new TokenSampler(WithLogprobs, logits.Length);

        sampler.Sample(logits, out TokenLogprob? logprob);

        Assert.NotNull(logprob);
        Assert.Equal(best, logprob.TopAlternatives.Select(a => a.TokenId));
        Assert.Equal(10, best[0]);
        for (int j = 0; j < best.Length; j++)
        {
            Assert.Equal(expected[best[j]], logprob.TopAlternatives[j].Logprob, 1e-5);
        }
    }

    [Fact]
    public void Greedy_sampling_reports_logprobs_too()
    {
        float[] logits = SamplingReference.RandomLogits(1000, 2, seed: 32);
        double[] expected = SamplingReference.LogSoftmax(logits);
        var sampler = new TokenSampler(new SamplingParams { Temperature = 0f, Logprobs = true }, logits.Length);

        int token = sampler.Sample(logits, out TokenLogprob? logprob);

        Assert.NotNull(logprob);
        Assert.Equal(expected[token], logprob.Logprob, 1e-5);
        Assert.Empty(logprob.TopAlternatives);
    }

    [Fact]
    public void No_logprob_unless_requested()
    {
        float[] logits = SamplingReference.RandomLogits(1000, 2, seed: 33);
        var sampler = new TokenSampler(new SamplingParams { Seed = 33 }, logits.Length);

        sampler.Sample(logits, out TokenLogprob? logprob);

        Assert.Null(logprob);
    }
}
