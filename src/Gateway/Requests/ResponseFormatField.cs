using System.Text;
using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>
/// OpenAI's <c>response_format</c> on chat completions, enforced while decoding: <c>{"type": "text"}</c> (the
/// default); <c>{"type": "json_object"}</c> (every token keeps the output a JSON object, and the reply ends when it
/// closes); <c>{"type": "json_schema", "json_schema": {"name", "schema", "strict"?, "description"?}}</c> (every token
/// keeps the output valid against the schema). The gateway checks the json_schema envelope (OpenAI's rules for
/// <c>name</c>, a schema object, a size limit); the silo compiles the schema itself and refuses keywords it would not
/// enforce, which reaches the client as a 400 naming <c>response_format.json_schema.schema</c>.
/// </summary>
public static class ResponseFormatField
{
    /// <summary>OpenAI's limit on <c>json_schema.name</c>.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The options with the request's response_format applied (unchanged for text or no response_format).</summary>
    public static GenerationOptions Apply(RequestFields fields, GenerationOptions options, GatewayOptions limits)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(limits);
        if (fields.Raw("response_format") is not { } format || format.ValueKind == JsonValueKind.Null)
        {
            return options;
        }

        if (format.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType("response_format", "an object such as {\"type\": \"json_object\"}", format.ValueKind));
        }

        var inner = new RequestFields(format);
        var type = inner.String("type", 64) ?? throw new ApiErrorException(ApiError.Invalid("Invalid 'response_format': 'type' is required ('text', 'json_object' or 'json_schema').", "response_format.type"));
        switch (type)
        {
            case "text":
                inner.RejectUnknown();
                return options;
            case "json_object":
                inner.RejectUnknown();
                return options with { JsonObjectOutput = true };
            case "json_schema":
                var (schema, strict) = ReadJsonSchema(inner, limits);
                inner.RejectUnknown();
                return options with { JsonSchema = schema, JsonSchemaStrict = strict };
            default:
                throw new ApiErrorException(ApiError.Invalid($"Invalid 'response_format.type': '{type}'. Supported values are 'text', 'json_object' and 'json_schema'.", "response_format.type"));
        }
    }

    private static (string Schema, bool Strict) ReadJsonSchema(RequestFields format, GatewayOptions limits)
    {
        const string param = "response_format.json_schema";
        if (format.Raw("json_schema") is not { } envelope || envelope.ValueKind == JsonValueKind.Null)
        {
            throw new ApiErrorException(ApiError.Missing(param));
        }

        if (envelope.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType(param, "an object with 'name' and 'schema'", envelope.ValueKind));
        }

        var fields = new RequestFields(envelope);
        var name = fields.String("name", int.MaxValue) ?? throw new ApiErrorException(ApiError.Missing($"{param}.name"));
        if (name.Length is 0 or > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ApiErrorException(ApiError.Invalid(
                $"Invalid '{param}.name': must be 1 to {MaxNameLength} characters of a-z, A-Z, 0-9, underscores and dashes.", $"{param}.name", "invalid_value"));
        }

        fields.String("description");
        var strict = fields.Bool("strict") ?? false;
        if (fields.Raw("schema") is not { } schema || schema.ValueKind == JsonValueKind.Null)
        {
            throw new ApiErrorException(ApiError.Missing($"{param}.schema"));
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType($"{param}.schema", "a JSON Schema object", schema.ValueKind));
        }

        if (!JsonUnicode.IsValid(schema))
        {
            throw new ApiErrorException(ApiError.Invalid(
                $"Invalid '{param}.schema': a string or key in it is not valid Unicode (a lone surrogate escape such as \\ud800).", $"{param}.schema", "invalid_unicode"));
        }

        var text = schema.GetRawText();
        if (Encoding.UTF8.GetByteCount(text) > limits.MaxResponseSchemaBytes)
        {
            throw new ApiErrorException(ApiError.Invalid(
                $"Invalid '{param}.schema': its JSON is over {limits.MaxResponseSchemaBytes} bytes; send a smaller schema (use $defs for repeated parts).", $"{param}.schema", "string_above_max_length"));
        }

        fields.RejectUnknown();
        return (text, strict);
    }
}
