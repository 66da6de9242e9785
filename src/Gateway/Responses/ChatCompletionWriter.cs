using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Contracts.Reasoning;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Serving;
using InferMesh.Gateway.Tools;
using Microsoft.AspNetCore.Http;

namespace InferMesh.Gateway.Responses;

/// <summary>
/// Writes a chat turn as OpenAI's <c>chat.completion</c> object or as <c>chat.completion.chunk</c> server-sent events.
/// With <see cref="ToolCalling"/>, replies are read for tool calls: a reply that makes some answers with
/// <c>tool_calls</c>, the text outside them as content (or null), and finish_reason "tool_calls"; a reply decoded
/// under a forced tool_choice answers with its calls, content null and its own finish_reason (see <see cref="ToolCalling.ForcedCalls"/>).
/// </summary>
public static class ChatCompletionWriter
{
    public static async Task WriteAsync(HttpResponse response, TurnStream turn, string id, long created, string model, int choices, ToolCalling? tools, CancellationToken cancellationToken)
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
                // Tool calls are read in the content, after the reasoning.
                var reasons = all.Reasoning(i) != ReplyReasoning.None;
                var (reasoning, text) = reasons ? ReasoningSplitter.Split(all.Text(i), all.Reasoning(i)) : (null, all.Text(i));
                var forced = tools?.ForcedCalls(text);
                var parse = forced is null ? tools?.ParserFor(all.ToolCallFormat(i))?.Parse(text, tools.Functions) : null;
                var calls = forced ?? (parse is { Calls.Count: > 0 } ? tools!.Allowed(parse.Calls) : []);
                json.WriteStartObject();
                json.WriteNumber("index", i);
                json.WriteStartObject("message");
                json.WriteString("role", "assistant");
                json.WriteString("content", forced is not null ? null : calls.Count > 0 ? parse!.Content : reasons && text.Length == 0 ? null : text);
                if (reasons)
                {
                    json.WriteString("reasoning_content", reasoning);
                }

                json.WriteNull("refusal");
                if (calls.Count > 0)
                {
                    ToolCallsJson.WriteMessageCalls(json, calls);
                }

                json.WriteEndObject();
                WriteLogprobs(json, all.Logprobs(i), turn.Logprobs);
                json.WriteString("finish_reason", tools is null ? all.FinishReason(i) : tools.FinishReason(calls.Count, forced is not null, all.FinishReason(i)));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            UsageJson.Write(json, all);
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    public static async Task StreamAsync(HttpResponse response, TurnStream turn, string id, long created, string model, int choices, bool includeUsage, ToolCalling? tools, CancellationToken cancellationToken)
    {
        var events = new ServerSentEvents(response);
        var toolStreams = new ToolCallStream?[choices];
        var reasoningStreams = new ReasoningStream?[choices];
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

                if (delta.Reasoning != ReplyReasoning.None)
                {
                    reasoningStreams[delta.Index] = new ReasoningStream(delta.Reasoning);
                }

                // Reasoning goes out as delta.reasoning_content; only what follows it is content (and read for calls).
                IReadOnlyList<TokenLogprobInfo> logprobs = delta.Logprob is { } lp ? [lp] : [];
                var content = delta.Text;
                if (reasoningStreams[delta.Index] is { } reasoningStream)
                {
                    var split = reasoningStream.Add(delta.Text, delta.Logprob, delta.FinishReason is not null);
                    if (split.Reasoning.Length > 0)
                    {
                        await events.WriteAsync(WriteReasoningChunk, (chunk, delta.Index, split.Reasoning, split.ReasoningLogprobs), cancellationToken);
                    }

                    (content, logprobs) = (split.Content, split.ContentLogprobs);
                }

                if (tools is not null)
                {
                    var stream = toolStreams[delta.Index] ??= new ToolCallStream(tools.ParserFor(delta.ToolCallFormat), tools);
                    await WriteWithToolsAsync(events, chunk, stream, delta.Index, content, logprobs, delta.FinishReason, cancellationToken);
                    continue;
                }

                if (content.Length > 0 || logprobs.Count > 0)
                {
                    await events.WriteAsync(WriteContentChunk, (chunk, delta.Index, content, logprobs), cancellationToken);
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

    /// <summary>Content as far as it is surely not a call, call headers and arguments as they are read; at the choice's end, what was held.</summary>
    private static async Task WriteWithToolsAsync(ServerSentEvents events, Chunk chunk, ToolCallStream stream, int index, string content, IReadOnlyList<TokenLogprobInfo> contentLogprobs, string? finishReason, CancellationToken cancellationToken)
    {
        await WritePiecesAsync(events, chunk, index, stream.AddWithLogprobs(content, contentLogprobs), cancellationToken);
        if (finishReason is null)
        {
            return;
        }

        await WritePiecesAsync(events, chunk, index, stream.Finish(), cancellationToken);
        await events.WriteAsync(WriteFinishChunk, (chunk, index, stream.FinishReason(finishReason)), cancellationToken);
    }

    /// <summary>Each piece as its own chunk, in order; the logprobs go with the first content piece.</summary>
    private static async Task WritePiecesAsync(ServerSentEvents events, Chunk chunk, int index, ToolCallStreamOutput output, CancellationToken cancellationToken)
    {
        var logprobs = output.Logprobs;
        foreach (var piece in output.Pieces)
        {
            if (piece.Kind == ToolCallPieceKind.Content)
            {
                if (piece.Text.Length > 0 || logprobs.Count > 0)
                {
                    await events.WriteAsync(WriteContentChunk, (chunk, index, piece.Text, logprobs), cancellationToken);
                    logprobs = [];
                }
            }
            else
            {
                await events.WriteAsync(WriteToolCallChunk, (chunk, index, piece), cancellationToken);
            }
        }
    }

    private static void WriteToolCallChunk(Utf8JsonWriter json, (Chunk Chunk, int Index, ToolCallPiece Piece) s)
    {
        s.Chunk.Begin(json);
        json.WriteStartObject();
        json.WriteNumber("index", s.Index);
        json.WriteStartObject("delta");
        ToolCallsJson.WriteDeltaCall(json, s.Piece);
        json.WriteEndObject();
        json.WriteNull("logprobs");
        json.WriteNull("finish_reason");
        json.WriteEndObject();
        s.Chunk.End(json);
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

    private static void WriteContentChunk(Utf8JsonWriter json, (Chunk Chunk, int Index, string Text, IReadOnlyList<TokenLogprobInfo> Logprobs) s)
    {
        s.Chunk.Begin(json);
        json.WriteStartObject();
        json.WriteNumber("index", s.Index);
        json.WriteStartObject("delta");
        json.WriteString("content", s.Text);
        json.WriteEndObject();
        WriteLogprobs(json, s.Logprobs, s.Chunk.Logprobs);
        json.WriteNull("finish_reason");
        json.WriteEndObject();
        s.Chunk.End(json);
    }

    private static void WriteReasoningChunk(Utf8JsonWriter json, (Chunk Chunk, int Index, string Text, IReadOnlyList<TokenLogprobInfo> Logprobs) s)
    {
        s.Chunk.Begin(json);
        json.WriteStartObject();
        json.WriteNumber("index", s.Index);
        json.WriteStartObject("delta");
        json.WriteString("reasoning_content", s.Text);
        json.WriteEndObject();
        WriteLogprobs(json, s.Logprobs, s.Chunk.Logprobs);
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

    private static void WriteLogprobs(Utf8JsonWriter json, IReadOnlyList<TokenLogprobInfo> entries, bool requested)
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
