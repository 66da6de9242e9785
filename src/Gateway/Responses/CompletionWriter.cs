using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Serving;
using Microsoft.AspNetCore.Http;

namespace InferMesh.Gateway.Responses;

/// <summary>
/// Writes legacy completions (<c>text_completion</c>). Prompts run one after another; prompt p's choice i has index
/// p·n + i, as OpenAI numbers them.
/// </summary>
public static class CompletionWriter
{
    public static async Task WriteAsync(HttpResponse response, IReadOnlyList<string> prompts, Func<int, Task<TurnStream>> start, string id, long created, string model, int n, bool echo, CancellationToken cancellationToken)
    {
        var usage = new ChoiceAccumulator(1);
        var results = new List<(string Text, IReadOnlyList<TokenLogprobInfo> Logprobs, string Finish, int Offset)>();
        var logprobs = false;
        for (var p = 0; p < prompts.Count; p++)
        {
            var all = new ChoiceAccumulator(n);
            await using (var turn = await start(p))
            {
                logprobs = turn.Logprobs;
                while (await turn.MoveNextAsync())
                {
                    all.Add(turn.Current with { Usage = null });
                    if (turn.Current.Usage is { } u)
                    {
                        usage.AddUsage(u, turn.Current.Index == 0 ? 0 : 1);
                    }
                }
            }

            for (var i = 0; i < n; i++)
            {
                // A text prompt echoes as sent; a token-id prompt as the grain decoded it. Prompt logprobs come first.
                var prefix = echo ? (prompts[p].Length > 0 ? prompts[p] : all.PromptText(i) ?? "") : "";
                if (echo && logprobs && all.PromptLogprobs(i) is null)
                {
                    // Never a silent fallback: an evaluation harness would read the generated entries as the prompt's.
                    throw new InvalidOperationException("the engine returned no prompt logprobs for an echo + logprobs request.");
                }

                var logprobEntries = echo && all.PromptLogprobs(i) is { } promptEntries ? [.. promptEntries, .. all.Logprobs(i)] : all.Logprobs(i);
                results.Add((prefix + all.Text(i), logprobEntries, all.FinishReason(i), logprobEntries.Count > all.Logprobs(i).Count ? 0 : prefix.Length));
            }
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(response.BodyWriter, GatewayJson.WriterOptions))
        {
            json.WriteStartObject();
            WriteHeader(json, id, created, model);
            json.WriteStartArray("choices");
            for (var i = 0; i < results.Count; i++)
            {
                var r = results[i];
                json.WriteStartObject();
                json.WriteString("text", r.Text);
                json.WriteNumber("index", i);
                if (logprobs)
                {
                    LogprobsJson.WriteCompletion(json, r.Logprobs, r.Offset);
                }
                else
                {
                    json.WriteNull("logprobs");
                }

                json.WriteString("finish_reason", r.Finish);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            UsageJson.Write(json, usage);
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    public static async Task StreamAsync(HttpResponse response, IReadOnlyList<string> prompts, Func<int, Task<TurnStream>> start, string id, long created, string model, int n, bool echo, bool includeUsage, CancellationToken cancellationToken)
    {
        var usage = new ChoiceAccumulator(1);
        ServerSentEvents? events = null;
        try
        {
            for (var p = 0; p < prompts.Count; p++)
            {
                await using var turn = await start(p);
                events ??= new ServerSentEvents(response);
                // Per choice: where the next token's text starts in the choice's whole text (legacy text_offset).
                var offsets = new int[n];
                for (var i = 0; echo && i < n; i++)
                {
                    await events.WriteAsync(WriteChunk, (id, created, model, includeUsage, p * n + i, prompts[p], (string?)null, (TokenLogprobInfo?)null, 0), cancellationToken);
                    offsets[i] = prompts[p].Length;
                }

                while (await turn.MoveNextAsync())
                {
                    var d = turn.Current;
                    if (d.Usage is { } u)
                    {
                        usage.AddUsage(u, d.Index == 0 ? 0 : 1);
                    }

                    var logprob = turn.Logprobs ? d.Logprob : null;
                    if (d.Text.Length > 0 || d.FinishReason is not null || logprob is not null)
                    {
                        await events.WriteAsync(WriteChunk, (id, created, model, includeUsage, p * n + d.Index, d.Text, d.FinishReason, logprob, offsets[d.Index]), cancellationToken);
                        offsets[d.Index] += d.Text.Length;
                    }
                }
            }
        }
        catch (Exception ex) when (events is not null && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            await events.WriteErrorAsync(ClusterErrors.ToApiError(ex, 1), cancellationToken);
            return;
        }

        events ??= new ServerSentEvents(response);
        if (includeUsage)
        {
            await events.WriteAsync(WriteUsageChunk, (id, created, model, usage), cancellationToken);
        }

        await events.WriteDoneAsync(cancellationToken);
    }

    private static void WriteChunk(Utf8JsonWriter json, (string Id, long Created, string Model, bool IncludeUsage, int Index, string Text, string? Finish, TokenLogprobInfo? Logprob, int Offset) s)
    {
        json.WriteStartObject();
        WriteHeader(json, s.Id, s.Created, s.Model);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteString("text", s.Text);
        json.WriteNumber("index", s.Index);
        if (s.Logprob is { } logprob)
        {
            LogprobsJson.WriteCompletion(json, [logprob], s.Offset); // this chunk's token, as OpenAI streams legacy logprobs
        }
        else
        {
            json.WriteNull("logprobs");
        }

        if (s.Finish is null)
        {
            json.WriteNull("finish_reason");
        }
        else
        {
            json.WriteString("finish_reason", s.Finish);
        }

        json.WriteEndObject();
        json.WriteEndArray();
        if (s.IncludeUsage)
        {
            json.WriteNull("usage");
        }

        json.WriteEndObject();
    }

    private static void WriteUsageChunk(Utf8JsonWriter json, (string Id, long Created, string Model, ChoiceAccumulator Usage) s)
    {
        json.WriteStartObject();
        WriteHeader(json, s.Id, s.Created, s.Model);
        json.WriteStartArray("choices");
        json.WriteEndArray();
        UsageJson.Write(json, s.Usage);
        json.WriteEndObject();
    }

    private static void WriteHeader(Utf8JsonWriter json, string id, long created, string model)
    {
        json.WriteString("id", id);
        json.WriteString("object", "text_completion");
        json.WriteNumber("created", created);
        json.WriteString("model", model);
        json.WriteNull("system_fingerprint");
    }
}
