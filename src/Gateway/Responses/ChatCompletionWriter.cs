using System.Text.Json;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Serving;
using Microsoft.AspNetCore.Http;

namespace InferMesh.Gateway.Responses;

/// <summary>Writes a chat turn as OpenAI's <c>chat.completion</c> object or as <c>chat.completion.chunk</c> server-sent events.</summary>
public static class ChatCompletionWriter
{
    public static async Task WriteAsync(HttpResponse response, TurnStream turn, string id, long created, string model, int choices, CancellationToken cancellationToken)
    {
        var all = new ChoiceAccumulator(choices);
        while (await turn.MoveNextAsync())
        {
            all.Add(turn.Current);
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(response.BodyWriter, GatewayJson.WriterOptions))
        {
            json.WriteStartObject();
            WriteHeader(json, id, "chat.completion", created, model);
            json.WriteStartArray("choices");
            for (var i = 0; i < choices; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("index", i);
                json.WriteStartObject("message");
                json.WriteString("role", "assistant");
                json.WriteString("content", all.Text(i));
                json.WriteNull("refusal");
                json.WriteEndObject();
                WriteLogprobs(json, all.Logprobs(i), turn.Logprobs);
                json.WriteString("finish_reason", all.FinishReason(i));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            UsageJson.Write(json, all);
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    public static async Task StreamAsync(HttpResponse response, TurnStream turn, string id, long created, string model, int choices, bool includeUsage, CancellationToken cancellationToken)
    {
        var events = new ServerSentEvents(response);
        var usage = new ChoiceAccumulator(choices);
        var chunk = new Chunk(id, created, model, includeUsage, turn.Logprobs);
        for (var i = 0; i < choices; i++)
        {
            await events.WriteAsync(WriteRoleChunk, (chunk, i), cancellationToken);
        }

        try
        {
            while (await turn.MoveNextAsync())
            {
                var delta = turn.Current;
                if (delta.Usage is { } u)
                {
                    usage.AddUsage(u, delta.Index);
                }

                if (delta.Text.Length > 0 || delta.Logprob is not null)
                {
                    await events.WriteAsync(WriteContentChunk, (chunk, delta), cancellationToken);
                }

                if (delta.FinishReason is not null)
                {
                    await events.WriteAsync(WriteFinishChunk, (chunk, delta.Index, delta.FinishReason), cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Headers are gone: report the failure in the stream, the way OpenAI does, and end without [DONE].
            await events.WriteErrorAsync(ClusterErrors.ToApiError(ex, 1), cancellationToken);
            return;
        }

        if (includeUsage)
        {
            await events.WriteAsync(WriteUsageChunk, (chunk, usage), cancellationToken);
        }

        await events.WriteDoneAsync(cancellationToken);
    }

    private static void WriteRoleChunk(Utf8JsonWriter json, (Chunk Chunk, int Index) s)
    {
        s.Chunk.Begin(json);
        json.WriteStartObject();
        json.WriteNumber("index", s.Index);
        json.WriteStartObject("delta");
        json.WriteString("role", "assistant");
        json.WriteString("content", "");
        json.WriteEndObject();
        json.WriteNull("logprobs");
        json.WriteNull("finish_reason");
        json.WriteEndObject();
        s.Chunk.End(json);
    }

    private static void WriteContentChunk(Utf8JsonWriter json, (Chunk Chunk, Contracts.TokenDelta Delta) s)
    {
        s.Chunk.Begin(json);
        json.WriteStartObject();
        json.WriteNumber("index", s.Delta.Index);
        json.WriteStartObject("delta");
        json.WriteString("content", s.Delta.Text);
        json.WriteEndObject();
        WriteLogprobs(json, s.Delta.Logprob is { } lp ? [lp] : [], s.Chunk.Logprobs);
        json.WriteNull("finish_reason");
        json.WriteEndObject();
        s.Chunk.End(json);
    }

    private static void WriteFinishChunk(Utf8JsonWriter json, (Chunk Chunk, int Index, string Reason) s)
    {
        s.Chunk.Begin(json);
        json.WriteStartObject();
        json.WriteNumber("index", s.Index);
        json.WriteStartObject("delta");
        json.WriteEndObject();
        json.WriteNull("logprobs");
        json.WriteString("finish_reason", s.Reason);
        json.WriteEndObject();
        s.Chunk.End(json);
    }

    private static void WriteUsageChunk(Utf8JsonWriter json, (Chunk Chunk, ChoiceAccumulator Usage) s)
    {
        json.WriteStartObject();
        WriteHeader(json, s.Chunk.Id, "chat.completion.chunk", s.Chunk.Created, s.Chunk.Model);
        json.WriteStartArray("choices");
        json.WriteEndArray();
        UsageJson.Write(json, s.Usage);
        json.WriteEndObject();
    }

    private static void WriteLogprobs(Utf8JsonWriter json, IReadOnlyList<Contracts.TokenLogprobInfo> entries, bool requested)
    {
        if (!requested)
        {
            json.WriteNull("logprobs");
            return;
        }

        json.WriteStartObject("logprobs");
        json.WriteStartArray("content");
        foreach (var lp in entries)
        {
            LogprobsJson.WriteChatEntry(json, lp);
        }

        json.WriteEndArray();
        json.WriteNull("refusal");
        json.WriteEndObject();
    }

    private static void WriteHeader(Utf8JsonWriter json, string id, string type, long created, string model)
    {
        json.WriteString("id", id);
        json.WriteString("object", type);
        json.WriteNumber("created", created);
        json.WriteString("model", model);
        json.WriteNull("system_fingerprint");
    }

    /// <summary>What every chunk of one stream repeats.</summary>
    private sealed record Chunk(string Id, long Created, string Model, bool IncludeUsage, bool Logprobs)
    {
        public void Begin(Utf8JsonWriter json)
        {
            json.WriteStartObject();
            WriteHeader(json, Id, "chat.completion.chunk", Created, Model);
            json.WriteStartArray("choices");
        }

        public void End(Utf8JsonWriter json)
        {
            json.WriteEndArray();
            if (IncludeUsage)
            {
                json.WriteNull("usage");
            }

            json.WriteEndObject();
        }
    }
}
