using InferMesh.Gateway.Responses;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace InferMesh.Gateway.Errors;

/// <summary>An OpenAI-shaped error answer: <c>{"error":{"message","type","param","code"}}</c> with its HTTP status.</summary>
public sealed record ApiError(int Status, string Message, string Type, string? Param = null, string? Code = null)
{
    /// <summary>Set on 429 and 503 answers.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiError Invalid(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    public static ApiError InvalidType(string param, string expected, JsonValueKind got) =>
        Invalid($"Invalid type for '{param}': expected {expected}, but got {Describe(got)} instead.", param, "invalid_type");

    public static ApiError Missing(string param) => Invalid($"Missing required parameter: '{param}'.", param, "missing_required_parameter");

    public static ApiError Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, message, "invalid_request_error", null, "invalid_api_key");

    public static ApiError ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, $"The model '{model}' does not exist or you do not have access to it.", "invalid_request_error", "model", "model_not_found");

    public static ApiError SessionNotFound(string sessionId) =>
        new(StatusCodes.Status404NotFound, $"No session '{sessionId}' exists for this API key.", "invalid_request_error", "session_id", "session_not_found");

    public static ApiError ChunkNotFound(string chunkId, string param) =>
        new(StatusCodes.Status404NotFound, $"No chunk '{chunkId}' is registered for this API key (register it with POST /v1/chunks first).", "invalid_request_error", param, "chunk_not_found");

    public static ApiError TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, $"Request body too large: the limit is {limit} bytes.", "invalid_request_error", null, "request_too_large");

    public static ApiError Overloaded(string message, int retryAfterSeconds) =>
        new(StatusCodes.Status429TooManyRequests, message, "rate_limit_error", null, "rate_limit_exceeded") { RetryAfterSeconds = retryAfterSeconds };

    public static ApiError Unavailable(string message, int retryAfterSeconds) =>
        new(StatusCodes.Status503ServiceUnavailable, message, "server_error", null, "service_unavailable") { RetryAfterSeconds = retryAfterSeconds };

    public static ApiError Internal(string message) => new(StatusCodes.Status500InternalServerError, message, "server_error", null, "internal_error");

    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", Message);
        json.WriteString("type", Type);
        WriteNullable(json, "param", Param);
        WriteNullable(json, "code", Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfterSeconds is { } retry)
        {
            response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Status == StatusCodes.Status413PayloadTooLarge)
        {
            // The rest of the body was not read: the connection cannot carry another request.
            response.Headers.Connection = "close";
        }

        await using (var json = new Utf8JsonWriter(response.BodyWriter, GatewayJson.WriterOptions))
        {
            WriteJson(json);
        }

        await response.BodyWriter.FlushAsync();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
