namespace InferMesh.Engine.Sampling;

/// <summary>
/// How the next token is chosen. Defaults sample like OpenAI's API (temperature 1, no truncation).
/// Temperature 0 means greedy. Penalties follow vLLM/OpenAI semantics: repetition (multiplicative, HF style, over
/// prompt and output), presence and frequency (additive, over output tokens).
/// </summary>
public sealed record SamplingParams
{
    /// <summary>
    /// Upper bound of <see cref="Temperature"/>. OpenAI's API stops at 2; the engine accepts up to 100 (vLLM has no
    /// bound) so research callers can flatten a distribution, and leaves the stricter check to the gateway.
    /// </summary>
    public const float MaxTemperature = 100f;

    /// <summary>Most alternatives <see cref="TopLogprobs"/> may ask for (OpenAI's limit).</summary>
    public const int MaxTopLogprobs = 20;

    public static SamplingParams Greedy { get; } = new() { Temperature = 0f };

    /// <summary>0 (or below <see cref="TokenSampler.GreedyBelowTemperature"/>) is greedy; at most <see cref="MaxTemperature"/>.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Nucleus mass in (0, 1]; 1 disables top-p.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>
    /// Keep the TopK most likely tokens, plus any tied with the k-th (as HF and vLLM do). 0 or -1 disables top-k;
    /// values at or above the vocabulary size keep everything.
    /// </summary>
    public int TopK { get; init; }

    /// <summary>In [0, 1]: drop tokens whose probability is below MinP times the most likely token's; 0 disables.</summary>
    public float MinP { get; init; }

    /// <summary>Greater than 0; 1 disables. Above 1 discourages tokens already in the prompt or output.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>In [-2, 2]; subtracted once from the logit of every token already in the output.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>In [-2, 2]; subtracted from a token's logit once per time it occurs in the output.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Same seed, same prompt, same parameters → same tokens.</summary>
    public long? Seed { get; init; }

    /// <summary>Number of most likely alternatives to report per token (0 = none); needs <see cref="Logprobs"/>.</summary>
    public int TopLogprobs { get; init; }

    public bool Logprobs { get; init; }

    /// <summary>
    /// Added to the logits of these token ids before anything else (OpenAI's logit_bias): -100 all but bans a token,
    /// +100 all but forces it. Each bias is in [-<see cref="MaxLogitBias"/>, <see cref="MaxLogitBias"/>]; ids must be in the
    /// vocabulary (checked by <see cref="TokenSampler"/>, which knows its size). Logprobs report the unbiased distribution, as vLLM's do.
    /// </summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Largest magnitude of one <see cref="LogitBias"/> entry (OpenAI's bound).</summary>
    public const float MaxLogitBias = 100f;

    public bool IsGreedy => Temperature <= 0f;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first out-of-range parameter by its OpenAI/vLLM wire name
    /// (so a gateway can put it in the error's <c>param</c>) and the range it must lie in. NaN is out of every range.
    /// </summary>
    public void Validate()
    {
        Require(Temperature >= 0f && Temperature <= MaxTemperature, "temperature", Temperature, $"must be in [0, {MaxTemperature}] (0 is greedy)");
        Require(TopP > 0f && TopP <= 1f, "top_p", TopP, "must be in (0, 1] (1 disables top-p)");
        Require(TopK >= -1, "top_k", TopK, "must be -1, 0 (both disable top-k) or a positive number of tokens");
        Require(MinP >= 0f && MinP <= 1f, "min_p", MinP, "must be in [0, 1] (0 disables min-p)");
        Require(
            RepetitionPenalty > 0f && float.IsFinite(RepetitionPenalty), "repetition_penalty", RepetitionPenalty,
            "must be a finite number greater than 0 (1 disables it)");
        Require(PresencePenalty >= -2f && PresencePenalty <= 2f, "presence_penalty", PresencePenalty, "must be in [-2, 2]");
        Require(FrequencyPenalty >= -2f && FrequencyPenalty <= 2f, "frequency_penalty", FrequencyPenalty, "must be in [-2, 2]");
        Require(TopLogprobs >= 0 && TopLogprobs <= MaxTopLogprobs, "top_logprobs", TopLogprobs, $"must be in [0, {MaxTopLogprobs}]");
        Require(TopLogprobs == 0 || Logprobs, "top_logprobs", TopLogprobs, "needs logprobs set to true");
        if (LogitBias is not null)
        {
            foreach (var (token, bias) in LogitBias)
            {
                Require(bias >= -MaxLogitBias && bias <= MaxLogitBias, "logit_bias", bias, $"entries must be in [-{MaxLogitBias}, {MaxLogitBias}] (token {token})");
            }
        }
    }

    private static void Require<T>(bool valid, string parameter, T value, string rule)
    {
        if (!valid)
        {
            throw new ArgumentException($"{parameter} {rule}; got {value}.", parameter);
        }
    }
}
