using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>
/// Parses the <c>documents</c> of a chat request and the <c>chunks</c> of <c>POST /v1/chunks</c>: texts (non-empty,
/// at most <see cref="GatewayOptions.MaxDocumentCharacters"/>) and, for documents, <c>{"id": "chunk-..."}</c> objects.
/// </summary>
public static class DocumentsField
{
    public static IReadOnlyList<DocumentReference> ParseDocuments(JsonElement? documents, GatewayOptions limits) =>
        documents is { } array ? Parse(array, "documents", limits, allowIds: true) : [];

    public static IReadOnlyList<string> ParseChunkTexts(JsonElement? chunks, GatewayOptions limits) =>
        Parse(chunks ?? throw new ApiErrorException(ApiError.Missing("chunks")), "chunks", limits, allowIds: false).Select(d => d.Text!).ToList();

    private static List<DocumentReference> Parse(JsonElement array, string name, GatewayOptions limits, bool allowIds)
    {
        var expected = allowIds ? "an array of strings or {\"id\": \"chunk-...\"} objects" : "an array of strings";
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new ApiErrorException(ApiError.InvalidType(name, expected, array.ValueKind));
        }

        var count = array.GetArrayLength();
        if (count == 0)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{name}': empty array. Expected {expected} with at least one entry.", name, "empty_array"));
        }

        if (count > limits.MaxDocuments)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{name}': array too long. Expected at most {limits.MaxDocuments} entries, got {count}.", name, "array_above_max_length"));
        }

        var result = new List<DocumentReference>(count);
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var param = $"{name}[{i++}]";
            result.Add(item.ValueKind switch
            {
                JsonValueKind.String => new DocumentReference(Text(item, param, limits), null, param),
                JsonValueKind.Object when allowIds => new DocumentReference(null, ChunkId(item, param), param),
                var kind => throw new ApiErrorException(ApiError.InvalidType(param, allowIds ? "a string or an object with an 'id'" : "a string", kind)),
            });
        }

        return result;
    }

    private static string Text(JsonElement item, string param, GatewayOptions limits)
    {
        var text = RequestFields.ReadString(item, param);
        if (text.Length == 0)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{param}': empty string. Send the document's text.", param, "empty_string"));
        }

        return text.Length <= limits.MaxDocumentCharacters
            ? text
            : throw new ApiErrorException(ApiError.Invalid($"Invalid '{param}': string too long. Expected a string with maximum length {limits.MaxDocumentCharacters}, but got a string with length {text.Length} instead.", param, "string_above_max_length"));
    }

    private static string ChunkId(JsonElement item, string param)
    {
        var fields = new RequestFields(item);
        string id;
        try
        {
            id = fields.String("id", 256) ?? throw new ApiErrorException(ApiError.Missing("id"));
            fields.RejectUnknown();
        }
        catch (ApiErrorException ex)
        {
            throw new ApiErrorException(ex.Error with { Param = $"{param}.{ex.Error.Param}", Message = ex.Error.Message.Replace($"'{ex.Error.Param}'", $"'{param}.{ex.Error.Param}'", StringComparison.Ordinal) });
        }

        return ChunkKey.TryParseId(id, out _)
            ? id
            : throw new ApiErrorException(ApiError.Invalid($"Invalid '{param}.id': not a chunk id. Expected 'chunk-' followed by {ChunkKey.HashLength} lowercase hex digits, as POST /v1/chunks returns.", $"{param}.id", "invalid_chunk_id"));
    }
}
