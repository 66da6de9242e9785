using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>The <c>tool_calls</c> of an assistant message: [{id, type: "function", function: {name, arguments}}], arguments being JSON text.</summary>
internal static class MessageToolCalls
{
    public static List<ToolCallInfo> Parse(JsonElement calls, string param)
    {
        if (calls.ValueKind != JsonValueKind.Array)
        {
            throw new ApiErrorException(ApiError.InvalidType(param, "an array", calls.ValueKind));
        }

        if (calls.GetArrayLength() == 0)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array instead. Leave '{param}' out when the message makes no calls.", param, "empty_array"));
        }

        var result = new List<ToolCallInfo>();
        var index = 0;
        foreach (var call in calls.EnumerateArray())
        {
            result.Add(ParseCall(call, $"{param}[{index++}]"));
        }

        return result;
    }

    private static ToolCallInfo ParseCall(JsonElement call, string path)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType(path, "an object", call.ValueKind));
        }

        var id = StringField(call, "id", path, 256);
        if (call.TryGetProperty("type", out var type) && type.ValueKind != JsonValueKind.Null && !(type.ValueKind == JsonValueKind.String && type.ValueEquals("function")))
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid value for '{path}.type': only 'function' tool calls are supported.", $"{path}.type", "invalid_value"));
        }

        if (!call.TryGetProperty("function", out var function) || function.ValueKind == JsonValueKind.Null)
        {
            throw new ApiErrorException(ApiError.Missing($"{path}.function"));
        }

        if (function.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType($"{path}.function", "an object", function.ValueKind));
        }

        var name = StringField(function, "name", $"{path}.function", 64);
        var arguments = StringField(function, "arguments", $"{path}.function", int.MaxValue);
        bool unicode;
        try
        {
            using var parsed = JsonDocument.Parse(arguments);
            unicode = JsonUnicode.IsValid(parsed.RootElement);
        }
        catch (JsonException)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{path}.function.arguments': it must be JSON text (the arguments object as a string, e.g. \"{{\\\"city\\\": \\\"Paris\\\"}}\"), as the model's call returned it.", $"{path}.function.arguments", "invalid_value"));
        }

        if (!unicode)
        {
            // The chat template is handed the parsed arguments, and such a string has no value there.
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{path}.function.arguments': a key or string in the JSON text is not valid Unicode (a lone surrogate escape such as \\ud800). Escape characters outside the BMP as surrogate pairs.", $"{path}.function.arguments", "invalid_unicode"));
        }

        return new ToolCallInfo(id, name, arguments);
    }

    private static string StringField(JsonElement parent, string name, string path, int maxLength)
    {
        var param = $"{path}.{name}";
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new ApiErrorException(ApiError.Missing(param));
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new ApiErrorException(ApiError.InvalidType(param, "a string", value.ValueKind));
        }

        var s = RequestFields.ReadString(value, param);
        return s.Length <= maxLength ? s : throw new ApiErrorException(ApiError.Invalid($"Invalid '{param}': string too long. Expected a string with maximum length {maxLength}, but got a string with length {s.Length} instead.", param, "string_above_max_length"));
    }
}
