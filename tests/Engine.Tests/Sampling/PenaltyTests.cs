using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>
/// Expected values are the documented formulas written out by hand: HF's RepetitionPenaltyLogitsProcessor
/// (logit &gt; 0 ? logit / r : logit · r over prompt and output tokens) and OpenAI's
/// logit − frequency · count − presence · [count &gt; 0] over output tokens, applied in vLLM's order.
/// </summary>
public sealed class PenaltyTests
{
    private static readonly float[] Logits = [2.0f, -1.0f, 0.5f, 0.0f, 3.0f, -2.5f];

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_of_prompt_and_output_tokens()
    {
        var sampler = new TokenSampler(new SamplingParams { RepetitionPenalty = 1.3f, Temperature = 0f }, Logits.Length, promptTokenIds: [0, 1, 0]);
        sampler.Accept(2);
        sampler.Accept(5);
        float[] logits = (float[])Logits.Clone();

        sampler.ApplyPenalties(logits);

        Assert.Equal([2.0f / 1.3f, -1.0f * 1.3f, 0.5f / 1.3f, 0.0f, 3.0f, -2.5f * 1.3f], logits);
    }

    [Fact]
    public void Presence_and_frequency_penalties_count_output_tokens_and_ignore_the_prompt()
    {
        var parameters = new SamplingParams { PresencePenalty = 0.4f, FrequencyPenalty = 0.25f, Temperature = 0f };
        var sampler = new TokenSampler(parameters, Logits.Length, promptTokenIds: [0, 4]);
        sampler.Accept(2);
        sampler.Accept(2);
        sampler.Accept(2);
        sampler.Accept(1);
        float[] logits = (float[])Logits.Clone();

        sampler.ApplyPenalties(logits);

        Assert.Equal([2.0f, -1.0f - 0.25f * 1 - 0.4f, 0.5f - 0.25f * 3 - 0.4f, 0.0f, 3.0f, -2.5f], logits);
    }

    [Fact]
    public void Penalties_combine_repetition_first_then_frequency_then_presence()
    {
        var parameters = new SamplingParams { RepetitionPenalty = 2f, PresencePenalty = -0.5f, FrequencyPenalty = 1.5f, Temperature = 0f };
        var sampler = new TokenSampler(parameters, Logits.Length, promptTokenIds: [4]);
        sampler.Accept(0);
        sampler.Accept(0);
        sampler.Accept(3);
        float[] logits = (float[])Logits.Clone();

        sampler.ApplyPenalties(logits);

        Assert.Equal([2.0f / 2f - 1.5f * 2 + 0.5f, -1.0f, 0.5f, 0.0f * 2f - 1.5f + 0.5f, 3.0f / 2f, -2.5f], logits);
    }

    [Fact]
    public void Sample_counts_its_own_token_for_the_penalties()
    {
        // Token 4 leads token 0 by 1.0; a frequency penalty of 2 puts token 0 ahead after one pick of token 4.
        var sampler = new TokenSampler(new SamplingParams { FrequencyPenalty = 2f, Temperature = 0f }, Logits.Length);

        int first = sampler.Sample((float[])Logits.Clone());
        int second = sampler.Sample((float[])Logits.Clone());

        Assert.Equal((4, 0), (first, second));
    }

    [Fact]
    public void Without_penalties_logits_are_untouched()
    {
        var sampler = new TokenSampler(new SamplingParams(), Logits.Length, promptTokenIds: [0, 1, 2]);
        sampler.Accept(3);
        float[] logits = (float[])Logits.Clone();

        sampler.ApplyPenalties(logits);

        Assert.Equal(Logits, logits);
    }

    [Fact]
    public void Prompt_tokens_outside_the_vocabulary_are_rejected()
    {
        var parameters = new SamplingParams { RepetitionPenalty = 1.1f };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(parameters, 6, promptTokenIds: [1, 6]));

        Assert.Contains("prompt token 1 is id 6", error.Message);
    }
}
