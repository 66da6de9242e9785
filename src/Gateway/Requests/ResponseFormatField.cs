using System.Text.Json;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>
/// OpenAI's <c>response_format</c> on chat completions: <c>{"type": "text"}</c> (the default) or
/// <c>{"type": "json_object"}</c>, which InferMesh enforces while decoding (every token keeps the output a JSON object,
/// and the reply ends when it closes). <c>json_schema</c> is refused rather than half-honoured: the decoder checks JSON
/// syntax, not a schema.
/// </summary>
public static class ResponseFormatField
{
    /// <summary>True when the request asks for a JSON object; false for text or no response_format.</summary>
    public static bool WantsJsonObject(RequestFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Raw("response_format") is not { } format || format.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (format.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidType("response_format", "an object such as {\"type\": \"json_object\"}", format.ValueKind));
        }

        var inner = new RequestFields(format);
        var type = inner.String("type", 64) ?? throw new ApiErrorException(ApiError.Invalid("Invalid 'response_format': 'type' is required ('text' or 'json_object').", "response_format.type"));
        switch (type)
        {
            case "text":
                inner.RejectUnknown();
                return false;
            case "json_object":
                inner.RejectUnknown();
                return true;
            case "json_schema":
                throw new ApiErrorException(ApiError.Invalid(
                    "response_format 'json_schema' is not supported by this server: it can keep the output a JSON object ({\"type\": \"json_object\"}) but does not enforce a schema. Use json_object and describe the schema in the prompt.",
                    "response_format",
                    "unsupported_parameter"));
            default:
                throw new ApiErrorException(ApiError.Invalid($"Invalid 'response_format.type': '{type}'. Supported values are 'text' and 'json_object'.", "response_format.type"));
        }
    }
}
