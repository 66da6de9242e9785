using System.Text.Json;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>A validated <c>POST /v1/chunks</c> body: <c>{"model": ..., "chunks": ["text", ...], "precompute": bool}</c>.</summary>
public sealed record ChunkRegistrationRequest(string Model, IReadOnlyList<string> Chunks, bool Precompute)
{
    public static ChunkRegistrationRequest Parse(JsonElement root, GatewayOptions limits)
    {
        var fields = new RequestFields(root);
        var model = fields.RequiredString("model", ChatCompletionRequest.MaxModelNameLength);
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ApiErrorException(ApiError.Invalid("Invalid 'model': must not be empty.", "model"));
        }

        var chunks = DocumentsField.ParseChunkTexts(fields.Raw("chunks"), limits);
        var precompute = fields.Bool("precompute") ?? false;
        fields.RejectUnknown();
        return new ChunkRegistrationRequest(model, chunks, precompute);
    }
}
