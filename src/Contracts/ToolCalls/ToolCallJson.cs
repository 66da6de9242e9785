using System.Text.Json;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>Reads the JSON objects models write for a call: <c>{"name": …, "arguments": {…}}</c> (or "parameters").</summary>
internal static class ToolCallJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>
    /// The call in <paramref name="json"/>, or null when it is not one: not JSON, not an object, no string name, text
    /// that is not Unicode (a lone surrogate, as a character or as an escape) anywhere in it, or arguments that are neither an object
    /// nor JSON text of one. Arguments absent read as <c>{}</c>, unless <paramref name="argumentsRequired"/>.
    /// </summary>
    public static (string Name, string Arguments)? ReadCall(string json, string argumentsKey, bool argumentsRequired = false)
    {
        try
        {
            using var document = JsonDocument.Parse(json, Options);
            return ReadCall(document.RootElement, argumentsKey, argumentsRequired);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            // ArgumentException: the text itself holds a lone surrogate character, which has no UTF-8 form.
            return null;
        }
    }

    public static (string Name, string Arguments)? ReadCall(JsonElement call, string argumentsKey, bool argumentsRequired = false)
    {
        if (call.ValueKind != JsonValueKind.Object || !JsonUnicode.IsValid(call)
            || !call.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } functionName)
        {
            return null;
        }

        if (!call.TryGetProperty(argumentsKey, out var arguments) && !call.TryGetProperty("arguments", out arguments))
        {
            return argumentsRequired ? null : (functionName, "{}");
        }

        return arguments.ValueKind switch
        {
            JsonValueKind.Object => (functionName, arguments.GetRawText()),
            JsonValueKind.String when IsJsonObject(arguments.GetString()!) => (functionName, arguments.GetString()!),
            _ => null,
        };
    }

    /// <summary>
    /// Arguments given as a JSON string (<paramref name="literal"/>, quotes included): its text when that is a JSON
    /// object and every string in both is Unicode; else null.
    /// </summary>
    public static string? DecodeArgumentsString(string literal)
    {
        try
        {
            using var document = JsonDocument.Parse(literal, Options);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.String && JsonUnicode.IsValid(root) && root.GetString() is { } text && IsJsonObject(text) ? text : null;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            return null;
        }
    }

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, Options);
            return document.RootElement.ValueKind == JsonValueKind.Object && JsonUnicode.IsValid(document.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
