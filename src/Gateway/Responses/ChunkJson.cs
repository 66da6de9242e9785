using System.Text.Json;
using InferMesh.Contracts;

namespace InferMesh.Gateway.Responses;

/// <summary>The <c>chunk</c> object of <c>/v1/chunks</c>: id, model, size, and where its KV lives in the cluster.</summary>
public static class ChunkJson
{
    /// <summary>Writes a chunk; <paramref name="precomputed"/> is written only when the request asked for it (POST).</summary>
    public static void Write(Utf8JsonWriter json, ChunkInfo chunk, bool? precomputed = null)
    {
        json.WriteStartObject();
        json.WriteString("id", chunk.Key.Id);
        json.WriteString("object", "chunk");
        json.WriteString("model", chunk.Key.Model);
        json.WriteNumber("created", (chunk.RegisteredAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());
        json.WriteNumber("characters", chunk.Text?.Length ?? 0);
        if (chunk.Tokens is { } tokens)
        {
            json.WriteNumber("tokens", tokens);
        }
        else
        {
            json.WriteNull("tokens");
        }

        if (precomputed is { } p)
        {
            json.WriteBoolean("precomputed", p);
        }

        json.WriteNumber("requests", chunk.Requests);
        json.WriteNumber("hits", chunk.Hits);
        json.WriteStartArray("copies");
        foreach (var copy in chunk.Copies)
        {
            json.WriteStartObject();
            json.WriteString("silo", copy.Silo);
            json.WriteString("device", copy.Device);
            json.WriteStartArray("variants");
            foreach (var v in copy.Variants)
            {
                json.WriteStartObject();
                json.WriteString("tier", v.Tier.ToString().ToLowerInvariant());
                json.WriteNumber("position", v.Position);
                json.WriteNumber("tokens", v.Tokens);
                json.WriteString("context_id", v.ContextId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteStartArray("preceding_chunks");
                foreach (var id in v.PrecedingChunks)
                {
                    json.WriteStringValue(id);
                }

                json.WriteEndArray();
                json.WriteNumber("hits", v.Hits);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
