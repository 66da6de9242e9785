using System.Buffers;
using System.Text;
using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>
/// A chat request's function tools (<c>tools</c>, <c>tool_choice</c>, <c>parallel_tool_calls</c>), validated.
/// <see cref="TemplateTools"/> is what the chat template is shown: every tool; none for tool_choice "none"; only the
/// named one when tool_choice names a function. A forced tool_choice (a function, or "required") is enforced while
/// decoding through <see cref="Tools.ToolChoiceSchema"/>, built from <see cref="Parameters"/>.
/// </summary>
public sealed record ToolsRequest(IReadOnlyList<string> Names, IReadOnlyList<string> Definitions, ToolChoiceMode Choice, string? ChoiceName, bool ParallelToolCalls)
{
    private const int MaxNameLength = 64;

    /// <summary>Each tool's <c>parameters</c> schema as JSON text (null where it has none), in the order of <see cref="Names"/>.</summary>
    public IReadOnlyList<string?> Parameters { get; init; } = [];

    /// <summary>Whether tool_choice forces a call (a named function, or "required").</summary>
    public bool Forced => Choice is ToolChoiceMode.Function or ToolChoiceMode.Required;

    /// <summary>The named tool's parameters schema text; null when it has none.</summary>
    public string? ParametersOf(string name) => Parameters.Count == Names.Count ? Parameters[IndexOf(name)] : null;

    /// <summary>The JSON array text passed to the template as <c>tools</c>, or null to render without tools.</summary>
    public string? TemplateTools => Choice switch
    {
        ToolChoiceMode.None => null,
        ToolChoiceMode.Function => "[" + Definitions[IndexOf(ChoiceName!)] + "]",
        _ => "[" + string.Join(", ", Definitions) + "]",
    };

    /// <summary>The functions a reply's call may name: the one tool_choice names, else every tool.</summary>
    public IReadOnlyList<string> CallableNames => Choice == ToolChoiceMode.Function ? [ChoiceName!] : Names;

    /// <summary>Whether replies are read for tool calls (not with tool_choice "none").</summary>
    public bool ParsesCalls => Choice != ToolChoiceMode.None;

    /// <summary>The request's tools, or null when it has none (absent or an empty list) and asks for none.</summary>
    public static ToolsRequest? Parse(RequestFields fields, GatewayOptions limits)
    {
        var parallel = fields.Bool("parallel_tool_calls") ?? true;
        var (choice, choiceName) = ParseChoice(fields.Raw("tool_choice"));
        var tools = fields.Raw("tools") is { } raw ? ParseTools(raw, limits) : [];
        if (tools.Count == 0)
        {
            return choice is ToolChoiceMode.None or ToolChoiceMode.Auto
                ? null
                : throw new ApiErrorException(ApiError.Invalid("Invalid 'tool_choice': it asks for a tool call, but the request has no 'tools'. Send the functions in 'tools', or leave 'tool_choice' out.", "tool_choice", "invalid_value"));
        }

        var names = tools.Select(t => t.Name).ToList();
        if (choice == ToolChoiceMode.Function && !names.Contains(choiceName!, StringComparer.Ordinal))
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid 'tool_choice': function '{choiceName}' is not among the request's tools ({string.Join(", ", names.Select(n => $"'{n}'"))}).", "tool_choice.function.name", "invalid_value"));
        }

        return new ToolsRequest(names, [.. tools.Select(t => t.Json)], choice, choiceName, parallel) { Parameters = [.. tools.Select(t => t.Parameters)] };
    }

    private int IndexOf(string name)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"tool_choice names '{name}', which Parse checked is a tool");
    }

    private static (ToolChoiceMode, string?) ParseChoice(JsonElement? value)
    {
        switch (value)
        {
            case null:
                return (ToolChoiceMode.Auto, null);
            case { ValueKind: JsonValueKind.String } s:
                return s.GetString() switch
                {
                    "none" => (ToolChoiceMode.None, null),
                    "auto" => (ToolChoiceMode.Auto, null),
                    "required" => (ToolChoiceMode.Required, null),
                    var other => throw new ApiErrorException(ApiError.Invalid($"Invalid value for 'tool_choice': '{Short(other!)}'. Supported values are: 'none', 'auto', 'required', or {{\"type\": \"function\", \"function\": {{\"name\": ...}}}}.", "tool_choice", "invalid_value")),
                };
            case { ValueKind: JsonValueKind.Object } o:
                var fields = new RequestFields(o);
                var type = fields.String("type", 32) ?? throw new ApiErrorException(ApiError.Missing("tool_choice.type"));
                if (type != "function")
                {
                    throw new ApiErrorException(ApiError.Invalid($"Invalid value for 'tool_choice.type': '{Short(type)}'. The only supported value is 'function'.", "tool_choice.type", "invalid_value"));
                }

                var function = fields.Raw("function") ?? throw new ApiErrorException(ApiError.Missing("tool_choice.function"));
                if (function.ValueKind != JsonValueKind.Object)
                {
                    throw new ApiErrorException(ApiError.InvalidType("tool_choice.function", "an object", function.ValueKind));
                }

                var name = Nested(() => new RequestFields(function).String("name", MaxNameLength), "tool_choice.function")
                    ?? throw new ApiErrorException(ApiError.Missing("tool_choice.function.name"));
                return (ToolChoiceMode.Function, name);
            case { } other:
                throw new ApiErrorException(ApiError.InvalidType("tool_choice", "a string or an object", other.ValueKind));
        }
    }

    private static List<(string Name, string Json, string? Parameters)> ParseTools(JsonElement tools, GatewayOptions limits)
    {
        if (tools.ValueKind != JsonValueKind.Array)
        {
            throw new ApiErrorException(ApiError.InvalidType("tools", "an array", tools.ValueKind));
        }

        var count = tools.GetArrayLength();
        if (count > limits.MaxTools)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid 'tools': array too long. Expected an array with maximum length {limits.MaxTools}, but got an array with length {count} instead.", "tools", "array_above_max_length"));
        }

        var result = new List<(string Name, string Json, string? Parameters)>(count);
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var path = $"tools[{index++}]";
            var parsed = ParseTool(tool, path, limits);
            if (result.Any(t => t.Name == parsed.Name))
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid '{path}.function.name': function '{parsed.Name}' is defined twice; tool names must be unique.", $"{path}.function.name", "duplicate_tool_name"));
            }

            result.Add(parsed);
        }

        return result;
    }

    /// <summary>One tool, re-written as {"type": "function", "function": {"name", "description"?, "parameters"?}}.</summary>
    private static (string Name, string Json, string? Parameters) ParseTool(JsonElement tool, string path, GatewayOptions limits)
    {
        if (tool.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType(path, "an object", tool.ValueKind));
        }

        var fields = new RequestFields(tool);
        var type = Nested(() => fields.String("type", 32), path) ?? throw new ApiErrorException(ApiError.Missing($"{path}.type"));
        if (type != "function")
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid value for '{path}.type': '{Short(type)}'. Only 'function' tools are supported.", $"{path}.type", "invalid_value"));
        }

        var function = fields.Raw("function") ?? throw new ApiErrorException(ApiError.Missing($"{path}.function"));
        Nested(() => fields.RejectUnknown(), path);
        if (function.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType($"{path}.function", "an object", function.ValueKind));
        }

        var at = $"{path}.function";
        var f = new RequestFields(function);
        var name = Nested(() => f.String("name", MaxNameLength), at) ?? throw new ApiErrorException(ApiError.Missing($"{at}.name"));
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{at}.name': '{Short(name)}'. Function names are 1-{MaxNameLength} letters, digits, underscores or dashes.", $"{at}.name", "invalid_value"));
        }

        var description = Nested(() => f.String("description"), at);
        var parameters = f.Raw("parameters");
        Nested(() => f.Bool("strict"), at);
        Nested(() => f.RejectUnknown(), at);
        if (parameters is { } schema)
        {
            if (schema.ValueKind != JsonValueKind.Object)
            {
                throw new ApiErrorException(ApiError.InvalidType($"{at}.parameters", "an object (a JSON schema)", schema.ValueKind));
            }

            if (!JsonUnicode.IsValid(schema))
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid '{at}.parameters': a key or string in the schema is not valid Unicode (a lone surrogate escape such as \\ud800). Escape characters outside the BMP as surrogate pairs.", $"{at}.parameters", "invalid_unicode"));
            }

            var size = Encoding.UTF8.GetByteCount(schema.GetRawText());
            if (size > limits.MaxToolSchemaBytes)
            {
                throw new ApiErrorException(ApiError.Invalid($"Invalid '{at}.parameters': the schema is {size} bytes of JSON; the limit is {limits.MaxToolSchemaBytes}. Shorten its descriptions or split the function.", $"{at}.parameters", "schema_too_large"));
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("type", "function");
            json.WriteStartObject("function");
            json.WriteString("name", name);
            if (description is not null)
            {
                json.WriteString("description", description);
            }

            if (parameters is { } p)
            {
                json.WritePropertyName("parameters");
                p.WriteTo(json);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return (name, Encoding.UTF8.GetString(buffer.WrittenSpan), parameters?.GetRawText());
    }

    /// <summary>Runs a field check of a nested object, naming the field with its full path in the error.</summary>
    private static T Nested<T>(Func<T> read, string path)
    {
        try
        {
            return read();
        }
        catch (ApiErrorException ex)
        {
            throw new ApiErrorException(ex.Error with { Param = $"{path}.{ex.Error.Param}", Message = ex.Error.Message.Replace($"'{ex.Error.Param}'", $"'{path}.{ex.Error.Param}'", StringComparison.Ordinal) });
        }
    }

    private static void Nested(Action check, string path) => Nested(() =>
    {
        check();
        return 0;
    }, path);

    private static string Short(string s) => s.Length <= 32 ? s : s[..32] + "...";
}
