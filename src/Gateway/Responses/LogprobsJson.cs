using System.Text.Json;
using InferMesh.Contracts;

namespace InferMesh.Gateway.Responses;

/// <summary>Writes OpenAI's logprobs shapes: chat's <c>content[]</c> entries and legacy completions' parallel arrays.</summary>
public static class LogprobsJson
{
    public static void WriteChatEntry(Utf8JsonWriter json, TokenLogprobInfo lp)
    {
        json.WriteStartObject();
        json.WriteString("token", lp.Token);
        json.WriteNumber("logprob", lp.Logprob);
        WriteBytes(json, lp.Bytes);
        json.WriteStartArray("top_logprobs");
        foreach (var top in lp.TopLogprobs)
        {
            json.WriteStartObject();
            json.WriteString("token", top.Token);
            json.WriteNumber("logprob", top.Logprob);
            WriteBytes(json, top.Bytes);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Legacy completions: {tokens, token_logprobs, top_logprobs, text_offset}.</summary>
    public static void WriteCompletion(Utf8JsonWriter json, IReadOnlyList<TokenLogprobInfo> entries, int textOffset)
    {
        json.WriteStartObject("logprobs");
        json.WriteStartArray("tokens");
        foreach (var e in entries)
        {
            json.WriteStringValue(e.Token);
        }

        json.WriteEndArray();
        json.WriteStartArray("token_logprobs");
        foreach (var e in entries)
        {
            if (float.IsNaN(e.Logprob))
            {
                json.WriteNullValue(); // the first prompt token: nothing precedes it
            }
            else
            {
                json.WriteNumberValue(e.Logprob);
            }
        }

        json.WriteEndArray();
        json.WriteStartArray("top_logprobs");
        foreach (var e in entries)
        {
            if (float.IsNaN(e.Logprob))
            {
                json.WriteNullValue();
                continue;
            }

            json.WriteStartObject();
            foreach (var top in e.TopLogprobs)
            {
                json.WriteNumber(top.Token, top.Logprob);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("text_offset");
        var offset = textOffset;
        foreach (var e in entries)
        {
            json.WriteNumberValue(offset);
            offset += e.Token.Length;
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteBytes(Utf8JsonWriter json, byte[] bytes)
    {
        json.WriteStartArray("bytes");
        foreach (var b in bytes)
        {
            json.WriteNumberValue(b);
        }

        json.WriteEndArray();
    }
}
