using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>The sampling, stopping and streaming fields shared by chat and legacy completions, validated.</summary>
public sealed record SamplingRequest(GenerationOptions Options, bool Stream, bool IncludeUsage)
{
    public const int MaxStopSequences = 4;
    public const int MaxStopLength = 256;

    /// <summary>Most entries of <c>logit_bias</c> (OpenAI's limit).</summary>
    public const int MaxLogitBiasEntries = 300;

    /// <param name="fields">The request's fields.</param>
    /// <param name="limits">Gateway limits.</param>
    /// <param name="chat">Chat uses <c>logprobs</c> (bool) + <c>top_logprobs</c>; legacy completions use <c>logprobs</c> (0–5) alone.</param>
    /// <param name="defaultMaxTokens">max_tokens when the request names none (null: up to the context).</param>
    public static SamplingRequest Parse(RequestFields fields, GatewayOptions limits, bool chat, int? defaultMaxTokens)
    {
        var temperature = fields.Number("temperature", 0, 2) ?? 1;
        var topP = fields.Number("top_p", 0, 1) ?? 1;
        if (topP <= 0)
        {
            throw new ApiErrorException(ApiError.Invalid("Invalid 'top_p': must be greater than 0 (use temperature 0 for greedy decoding).", "top_p", "decimal_below_min_value"));
        }

        var topK = (int)(fields.Integer("top_k", -1, 1 << 20) ?? 0);
        var maxTokens = (int?)fields.Integer("max_tokens", 1, limits.MaxTokensLimit);
        if (chat && (int?)fields.Integer("max_completion_tokens", 1, limits.MaxTokensLimit) is { } maxCompletion)
        {
            if (maxTokens is { } both && both != maxCompletion)
            {
                throw new ApiErrorException(ApiError.Invalid($"'max_tokens' ({both}) and 'max_completion_tokens' ({maxCompletion}) disagree; send one of them.", "max_completion_tokens"));
            }

            maxTokens = maxCompletion;
        }

        bool logprobs;
        int topLogprobs;
        if (chat)
        {
            logprobs = fields.Bool("logprobs") ?? false;
            topLogprobs = (int)(fields.Integer("top_logprobs", 0, 20) ?? 0);
            if (topLogprobs > 0 && !logprobs)
            {
                throw new ApiErrorException(ApiError.Invalid("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs"));
            }
        }
        else
        {
            var count = fields.Integer("logprobs", 0, 5);
            logprobs = count is not null;
            topLogprobs = (int)(count ?? 0);
        }

        var stream = fields.Bool("stream") ?? false;
        var includeUsage = false;
        if (fields.Raw("stream_options") is { } so)
        {
            if (!stream)
            {
                throw new ApiErrorException(ApiError.Invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"));
            }

            if (so.ValueKind != JsonValueKind.Object)
            {
                throw new ApiErrorException(ApiError.InvalidType("stream_options", "an object", so.ValueKind));
            }

            var streamFields = new RequestFields(so);
            includeUsage = streamFields.Bool("include_usage") ?? false;
            streamFields.RejectUnknown("continuous_usage_stats");
        }

        var options = new GenerationOptions
        {
            Temperature = (float)temperature,
            TopP = (float)topP,
            TopK = Math.Max(0, topK),
            Seed = fields.Integer("seed", long.MinValue, long.MaxValue),
            MaxTokens = maxTokens ?? defaultMaxTokens,
            Stop = ParseStop(fields),
            Logprobs = logprobs,
            TopLogprobs = topLogprobs,
            N = (int)(fields.Integer("n", 1, limits.MaxChoices) ?? 1),
            PresencePenalty = (float)(fields.Number("presence_penalty", -2, 2) ?? 0),
            FrequencyPenalty = (float)(fields.Number("frequency_penalty", -2, 2) ?? 0),
            IgnoreEos = fields.Bool("ignore_eos") ?? false,
            LogitBias = ParseLogitBias(fields),
        };
        if (chat)
        {
            options = ResponseFormatField.Apply(fields, options, limits);
        }

        return new SamplingRequest(options, stream, includeUsage);
    }

    /// <summary>
    /// OpenAI's <c>logit_bias</c>: an object from token ids (as strings) to a bias in [-100, 100]. Ids beyond the
    /// model's vocabulary are refused by the engine, which knows its size.
    /// </summary>
    private static Dictionary<int, float>? ParseLogitBias(RequestFields fields)
    {
        if (fields.Raw("logit_bias") is not { } bias)
        {
            return null;
        }

        if (bias.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType("logit_bias", "an object mapping token ids to numbers", bias.ValueKind));
        }

        var result = new Dictionary<int, float>();
        foreach (var entry in bias.EnumerateObject())
        {
            if (result.Count == MaxLogitBiasEntries)
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid 'logit_bias': at most {MaxLogitBiasEntries} tokens may be biased.", "logit_bias", "object_above_max_size"));
            }

            if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid 'logit_bias': keys must be token ids (whole numbers >= 0 written as strings); got '{(entry.Name.Length <= 32 ? entry.Name : entry.Name[..32] + "...")}'.", "logit_bias"));
            }

            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out var value) || value < -100 || value > 100)
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid 'logit_bias' for token {id}: expected a number in [-100, 100].", "logit_bias"));
            }

            result[id] = (float)value;
        }

        return result.Count == 0 ? null : result;
    }

    private static IReadOnlyList<string> ParseStop(RequestFields fields)
    {
        if (fields.Raw("stop") is not { } stop)
        {
            return [];
        }

        List<string> result = [];
        if (stop.ValueKind == JsonValueKind.String)
        {
            result.Add(RequestFields.ReadString(stop, "stop"));
        }
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in stop.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    throw new ApiErrorException(ApiError.InvalidType("stop", "a string or an array of strings", item.ValueKind));
                }

                result.Add(RequestFields.ReadString(item, "stop"));
            }
        }
        else
        {
            throw new ApiErrorException(ApiError.InvalidType("stop", "a string or an array of strings", stop.ValueKind));
        }

        if (result.Count > MaxStopSequences)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid 'stop': at most {MaxStopSequences} stop sequences are allowed, got {result.Count}.", "stop", "array_above_max_length"));
        }

        foreach (var s in result)
        {
            if (s.Length == 0 || s.Length > MaxStopLength)
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid 'stop': each stop sequence must be 1 to {MaxStopLength} characters.", "stop"));
            }
        }

        return result;
    }
}
