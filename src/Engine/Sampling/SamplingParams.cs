namespace InferMesh.Engine.Sampling;

/// <summary>
/// How the next token is chosen. Defaults sample like OpenAI's API (temperature 1, no truncation).
/// Temperature 0 means greedy. Penalties follow vLLM/OpenAI semantics: repetition (multiplicative, HF style, over
/// prompt and output), presence and frequency (additive, over output tokens).
/// </summary>
public sealed record SamplingParams
{
    public static SamplingParams Greedy { get; } = new() { Temperature = 0f };

    public float Temperature { get; init; } = 1f;

    public float TopP { get; init; } = 1f;

    /// <summary>0 or negative disables top-k.</summary>
    public int TopK { get; init; }

    public float MinP { get; init; }

    public float RepetitionPenalty { get; init; } = 1f;

    public float PresencePenalty { get; init; }

    public float FrequencyPenalty { get; init; }

    /// <summary>Same seed, same prompt, same parameters → same tokens.</summary>
    public long? Seed { get; init; }

    /// <summary>Number of most likely alternatives to report per token (0 = none); needs <see cref="Logprobs"/>.</summary>
    public int TopLogprobs { get; init; }

    public bool Logprobs { get; init; }

    public bool IsGreedy => Temperature <= 0f;
}
