using System.Text.Json;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>
/// A validated legacy <c>POST /v1/completions</c> body: one prompt or a list of prompts, raw text or token ids (as
/// OpenAI's API and vLLM take them: a string, an array of strings, an array of ids, or an array of id arrays), no template.
/// </summary>
public sealed record CompletionRequest(string Model, IReadOnlyList<CompletionPrompt> Prompts, SamplingRequest Sampling, bool Echo)
{
    /// <summary>OpenAI's default max_tokens for legacy completions.</summary>
    public const int DefaultMaxTokens = 16;

    public const int MaxPrompts = 16;

    public static CompletionRequest Parse(JsonElement root, GatewayOptions limits)
    {
        var fields = new RequestFields(root);
        var model = fields.RequiredString("model", ChatCompletionRequest.MaxModelNameLength);
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ApiErrorException(ApiError.Invalid("Invalid 'model': must not be empty.", "model"));
        }

        var prompts = ParsePrompts(fields.Raw("prompt") ?? throw new ApiErrorException(ApiError.Missing("prompt")));
        var sampling = SamplingRequest.Parse(fields, limits, chat: false, defaultMaxTokens: DefaultMaxTokens);
        var echo = fields.Bool("echo") ?? false;
        var bestOf = fields.Integer("best_of", 1, limits.MaxChoices);
        if (bestOf is { } b && b != sampling.Options.N)
        {
            throw new ApiErrorException(ApiError.Invalid("'best_of' other than 'n' is not supported by this server.", "best_of", "unsupported_parameter"));
        }

        if (fields.String("suffix") is { Length: > 0 })
        {
            throw new ApiErrorException(ApiError.Invalid("'suffix' is not supported by this server.", "suffix", "unsupported_parameter"));
        }

        if (echo && sampling.Stream && prompts.Any(p => p.TokenIds is not null))
        {
            throw new ApiErrorException(ApiError.Invalid("Streamed 'echo' of a token-id prompt is not supported (the stream starts with the prompt's text, which this gateway cannot decode); send the prompt as text or do not stream.", "echo", "unsupported_parameter"));
        }

        if (echo)
        {
            // Echo with logprobs reports the prompt's tokens too (OpenAI's legacy behaviour, what lm-eval's loglikelihood reads).
            sampling = sampling with { Options = sampling.Options with { EchoPrompt = true, PromptLogprobs = sampling.Options.Logprobs && !sampling.Stream ? sampling.Options.TopLogprobs : null } };
        }

        fields.String("user", 256);
        fields.RejectUnknown();
        return new CompletionRequest(model, prompts, sampling, echo);
    }

    private static List<CompletionPrompt> ParsePrompts(JsonElement prompt)
    {
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return [new(RequestFields.ReadString(prompt, "prompt"))];
        }

        if (prompt.ValueKind != JsonValueKind.Array)
        {
            throw new ApiErrorException(ApiError.InvalidType("prompt", "a string, an array of strings, an array of token ids or an array of token-id arrays", prompt.ValueKind));
        }

        var first = prompt.GetArrayLength() > 0 ? prompt[0].ValueKind : JsonValueKind.Undefined;
        if (first == JsonValueKind.Number)
        {
            return [new("", TokenIds(prompt))]; // one prompt of token ids
        }

        var prompts = new List<CompletionPrompt>();
        foreach (var item in prompt.EnumerateArray())
        {
            prompts.Add(item.ValueKind switch
            {
                JsonValueKind.String when first == JsonValueKind.String => new(RequestFields.ReadString(item, "prompt")),
                JsonValueKind.Array when first == JsonValueKind.Array => new("", TokenIds(item)),
                _ => throw new ApiErrorException(ApiError.Invalid("Invalid 'prompt': an array of prompts must hold only strings or only token-id arrays.", "prompt", "invalid_type")),
            });
        }

        return prompts.Count is > 0 and <= MaxPrompts
            ? prompts
            : throw new ApiErrorException(ApiError.Invalid($"Invalid 'prompt': expected 1 to {MaxPrompts} prompts, got {prompts.Count}.", "prompt"));
    }

    private static int[] TokenIds(JsonElement ids)
    {
        var result = new int[ids.GetArrayLength()];
        if (result.Length == 0)
        {
            throw new ApiErrorException(ApiError.Invalid("Invalid 'prompt': a token-id prompt must hold at least one id.", "prompt"));
        }

        var i = 0;
        foreach (var id in ids.EnumerateArray())
        {
            if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out var value) || value < 0)
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid 'prompt': token ids must be whole numbers >= 0; item {i} is not.", "prompt", "invalid_type"));
            }

            result[i++] = value;
        }

        return result;
    }
}
