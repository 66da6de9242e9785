using System.Text.Json;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>A validated legacy <c>POST /v1/completions</c> body: one prompt or a list of prompts, raw text, no template.</summary>
public sealed record CompletionRequest(string Model, IReadOnlyList<string> Prompts, SamplingRequest Sampling, bool Echo)
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

        fields.String("user", 256);
        fields.RejectUnknown();
        return new CompletionRequest(model, prompts, sampling, echo);
    }

    private static List<string> ParsePrompts(JsonElement prompt)
    {
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return [RequestFields.ReadString(prompt, "prompt")];
        }

        if (prompt.ValueKind != JsonValueKind.Array)
        {
            throw new ApiErrorException(ApiError.InvalidType("prompt", "a string or an array of strings", prompt.ValueKind));
        }

        var prompts = new List<string>();
        foreach (var item in prompt.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new ApiErrorException(ApiError.Invalid("Invalid 'prompt': only strings (or an array of strings) are supported; token-id prompts are not.", "prompt", "invalid_type"));
            }

            prompts.Add(RequestFields.ReadString(item, "prompt"));
        }

        return prompts.Count is > 0 and <= MaxPrompts
            ? prompts
            : throw new ApiErrorException(ApiError.Invalid($"Invalid 'prompt': expected 1 to {MaxPrompts} prompts, got {prompts.Count}.", "prompt"));
    }
}
