namespace InferMesh.Contracts;

/// <summary>
/// Sampling and stopping options of one request, already validated by the gateway (OpenAI's meaning for each).
/// Temperature 0 is greedy.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GenerationOptions
{
    [Id(0)] public float Temperature { get; init; } = 1f;

    [Id(1)] public float TopP { get; init; } = 1f;

    /// <summary>0 disables top-k.</summary>
    [Id(2)] public int TopK { get; init; }

    [Id(3)] public long? Seed { get; init; }

    /// <summary>Completion tokens to generate at most; null means "up to the context length (and the server's cap)".</summary>
    [Id(4)] public int? MaxTokens { get; init; }

    [Id(5)] public IReadOnlyList<string> Stop { get; init; } = [];

    [Id(6)] public bool Logprobs { get; init; }

    [Id(7)] public int TopLogprobs { get; init; }

    /// <summary>Number of choices to generate for the same prompt.</summary>
    [Id(8)] public int N { get; init; } = 1;

    [Id(9)] public float PresencePenalty { get; init; }

    [Id(10)] public float FrequencyPenalty { get; init; }

    [Id(11)] public bool IgnoreEos { get; init; }

    /// <summary>Added to the logits of these token ids before sampling (OpenAI's logit_bias, each in [-100, 100]); null for none.</summary>
    [Id(12)] public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Log-probabilities of the prompt's tokens with this many alternatives each (legacy completions' echo + logprobs); null for none.</summary>
    [Id(13)] public int? PromptLogprobs { get; init; }

    /// <summary>Send the prompt's text (and its logprobs, when asked) with each choice's first delta (legacy completions' echo).</summary>
    [Id(14)] public bool EchoPrompt { get; init; }

    /// <summary>The output must be one JSON object (OpenAI's response_format json_object): decoding masks tokens that would break it.</summary>
    [Id(15)] public bool JsonObjectOutput { get; init; }

    /// <summary>
    /// The output must be one JSON document valid against this JSON Schema text (OpenAI's response_format
    /// json_schema): decoding masks tokens that would break it. Compiled on the silo, which refuses unsupported
    /// keywords as an invalid request naming response_format.json_schema.schema. Null for none.
    /// </summary>
    [Id(16)] public string? JsonSchema { get; init; }

    /// <summary>OpenAI's json_schema.strict: object schemas that do not mention additionalProperties allow no extra keys.</summary>
    [Id(17)] public bool JsonSchemaStrict { get; init; }

    /// <summary>
    /// <see cref="JsonSchema"/> was built by the gateway from a forced tool_choice (a named function or "required"), not
    /// sent by the client: the silo compiles it leniently (validation-only keywords such as format or pattern ignored)
    /// and, when it still cannot follow it (oneOf, allOf, a non-local $ref, ...), decodes unconstrained instead of
    /// refusing the request.
    /// </summary>
    [Id(18)] public bool JsonSchemaFromToolChoice { get; init; }

    /// <summary>
    /// The output constraint (<see cref="JsonObjectOutput"/>, <see cref="JsonSchema"/>) starts only once the output has
    /// produced this text — set by the session grain to <c>&lt;/think&gt;</c> when the prompt opened a think block, so
    /// the reasoning is free and the answer after it is constrained (as vLLM does); null: from the first token.
    /// </summary>
    [Id(19)] public string? ConstrainAfter { get; init; }

    /// <summary>
    /// With <see cref="ConstrainAfter"/>: the reply must first open its reasoning with this text (<c>&lt;think&gt;</c>,
    /// after white space) or be constrained from its first token — set when the prompt left the reply to open the think
    /// block itself (Qwen3, SmolLM3 thinking); null when the prompt opened it.
    /// </summary>
    [Id(20)] public string? ConstrainAfterOpening { get; init; }
}
