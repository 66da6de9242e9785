using System.Buffers;
using System.Text.Json;
using InferMesh.Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace InferMesh.Gateway.Requests;

/// <summary>Reads a JSON request body within the size limit and parses it into an object.</summary>
public static class RequestBody
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    public static async Task<JsonDocument> ReadObjectAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            throw new ApiErrorException(ApiError.TooLarge(limit));
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(8192);
                var read = await request.Body.ReadAsync(memory, cancellationToken);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > limit)
                {
                    throw new ApiErrorException(ApiError.TooLarge(limit));
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiErrorException(ApiError.TooLarge(limit));
        }

        if (buffer.WrittenCount == 0)
        {
            throw new ApiErrorException(ApiError.Invalid("The request body is empty; send a JSON object.", null, "invalid_json"));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.WrittenMemory, Options);
        }
        catch (JsonException ex)
        {
            throw new ApiErrorException(ApiError.Invalid($"The request body is not valid JSON: {ex.Message}", null, "invalid_json"));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind;
            document.Dispose();
            throw new ApiErrorException(ApiError.Invalid($"The request body must be a JSON object, not {kind.ToString().ToLowerInvariant()}.", null, "invalid_json"));
        }

        if (InvalidFieldName(document.RootElement, "") is { } where)
        {
            document.Dispose();
            var param = where.Length == 0 ? null : where;
            throw new ApiErrorException(ApiError.Invalid(
                $"A field name {(param is null ? "at the top level" : $"inside '{param}'")} is not valid Unicode (a lone surrogate escape such as \\ud800); send field names as valid UTF-16.",
                param,
                "invalid_unicode"));
        }

        return document;
    }

    /// <summary>
    /// The path of the object holding the first field name that cannot be read as a string (a lone surrogate escape:
    /// System.Text.Json parses it, but reading the name throws), or null when every name reads. Values are checked where
    /// each field is read, with its own path.
    /// </summary>
    private static string? InvalidFieldName(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path;
                    }

                    if (InvalidFieldName(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (InvalidFieldName(item, $"{path}[{index++}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return null;
        }
    }
}
