using System.Text;
using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>
/// vLLM's <c>chat_template_kwargs</c>: extra variables for the chat template, e.g. <c>{"enable_thinking": false}</c> for
/// Qwen3. Checked here, at the boundary: an object of at most <see cref="MaxKeys"/> keys, each a name of 1-64
/// characters that is none of the variables the server sets (<see cref="ChatTemplateVariables.Reserved"/>), values
/// nested at most <see cref="MaxDepth"/> deep, all of it at most <see cref="GatewayOptions.MaxChatTemplateKwargsBytes"/>
/// bytes of JSON and valid Unicode. Passed on as its JSON text.
/// </summary>
public static class ChatTemplateKwargsField
{
    public const string Name = "chat_template_kwargs";

    public const int MaxKeys = 64;

    public const int MaxKeyLength = 64;

    /// <summary>Deepest nesting of a value (an array in an object in a value counts 2).</summary>
    public const int MaxDepth = 8;

    /// <summary>The field's JSON text; null when absent (or null).</summary>
    public static string? Parse(RequestFields fields, GatewayOptions limits)
    {
        if (fields.Raw(Name) is not { } kwargs)
        {
            return null;
        }

        if (kwargs.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType(Name, "an object of template variables (e.g. {\"enable_thinking\": false})", kwargs.ValueKind));
        }

        if (!JsonUnicode.IsValid(kwargs))
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{Name}': a string or key in it is not valid Unicode (a lone surrogate escape such as \\ud800).", Name, "invalid_unicode"));
        }

        var keys = 0;
        foreach (var kwarg in kwargs.EnumerateObject())
        {
            var param = $"{Name}.{Printable(kwarg.Name)}";
            if (++keys > MaxKeys)
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid '{Name}': more than {MaxKeys} variables.", Name, "object_above_max_properties"));
            }

            if (kwarg.Name.Length is 0 or > MaxKeyLength)
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid '{Name}': variable names must be 1-{MaxKeyLength} characters long.", param, "invalid_value"));
            }

            if (ChatTemplateVariables.Reserved.Contains(kwarg.Name))
            {
                throw new ApiErrorException(ApiError.Invalid(
                    $"Invalid '{param}': '{kwarg.Name}' is set by the server (it renders the request's messages, tools and documents); it cannot be passed in '{Name}'. Reserved: {string.Join(", ", ChatTemplateVariables.Reserved)}.",
                    param, "reserved_variable"));
            }

            if (Depth(kwarg.Value) > MaxDepth)
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid '{param}': nested more than {MaxDepth} levels deep.", param, "invalid_value"));
            }
        }

        var text = kwargs.GetRawText();
        if (Encoding.UTF8.GetByteCount(text) > limits.MaxChatTemplateKwargsBytes)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{Name}': its JSON is over {limits.MaxChatTemplateKwargsBytes} bytes.", Name, "string_above_max_length"));
        }

        return text;
    }

    private static int Depth(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => 1 + value.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonValueKind.Array => 1 + value.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    private static string Printable(string name) => name.Length <= MaxKeyLength && !name.Any(char.IsControl) ? name : $"{string.Concat(name.Take(MaxKeyLength).Where(c => !char.IsControl(c)))}...";
}
