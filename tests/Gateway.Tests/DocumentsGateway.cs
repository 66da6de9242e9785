using System.Text;
using System.Text.Json;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;
using InferMesh.Grains.ChunkCache;
using Microsoft.Extensions.DependencyInjection;

namespace InferMesh.Gateway.Tests;

/// <summary>
/// The gateway over the real CPU engine on the golden tiny-llama, for documents and <c>/v1/chunks</c>, plus a bare
/// engine as the reference. Tenants: alice and bob keep caches of their own; carol (<c>sk-carol</c>) and dave
/// (<c>sk-dave</c>) opted into the shared group "team".
/// </summary>
public sealed class DocumentsGateway : IAsyncLifetime
{
    public const string Model = "tiny-llama";
    public const string CarolKey = "sk-carol";
    public const string DaveKey = "sk-dave";

    public GatewayHost Host { get; private set; } = null!;

    public InferenceEngine Reference { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var options = new EngineOptions { Threads = 1, KvCacheBlocks = 256 };
        Host = await GatewayHost.StartAsync(InferenceEngine.Load(GoldenModel.Directory(), options), new Dictionary<string, string?>
        {
            [$"{GatewayOptions.Section}:ApiKeys:{CarolKey}"] = "carol",
            [$"{GatewayOptions.Section}:ApiKeys:{DaveKey}"] = "dave",
            [$"{GatewayOptions.Section}:SharedCacheGroups:carol"] = "team",
            [$"{GatewayOptions.Section}:SharedCacheGroups:dave"] = "team",
        });
        Reference = InferenceEngine.Load(GoldenModel.Directory(), options);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Host.Engine.DisposeAsync();
        await Reference.DisposeAsync();
    }

    /// <summary>Sends the silo's pending chunk reports to the directory now.</summary>
    public Task FlushChunkReportsAsync() => Host.Services.GetRequiredService<ChunkReporter>().FlushAsync();

    /// <summary>
    /// The bare engine's greedy reply to the documented prompt layout: the chat template renders the conversation with
    /// the documents' place marked at the start of the last user message; the text before the mark, each document
    /// followed by a blank line, and the text after it are tokenized on their own and concatenated.
    /// </summary>
    public async Task<(string Text, int PromptTokens)> ReferenceReplyAsync(string? system, IReadOnlyList<string> documents, string question, int maxTokens)
    {
        const string mark = "\u0001";
        var messages = new List<object?>();
        if (system is not null)
        {
            messages.Add(new Dictionary<string, object?> { ["role"] = "system", ["content"] = system });
        }

        messages.Add(new Dictionary<string, object?> { ["role"] = "user", ["content"] = mark + question });
        var rendered = Reference.ChatTemplate!.Render(new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = true,
            ["bos_token"] = Reference.Tokenizer.BosToken ?? "",
            ["eos_token"] = Reference.Tokenizer.EosToken ?? "",
        });
        var at = rendered.IndexOf(mark, StringComparison.Ordinal);
        var ids = new List<int>(Reference.Tokenizer.Encode(rendered[..at], addSpecialTokens: false));
        foreach (var document in documents)
        {
            ids.AddRange(Reference.Tokenizer.Encode(document + "\n\n", addSpecialTokens: false));
        }

        ids.AddRange(Reference.Tokenizer.Encode(rendered[(at + mark.Length)..], addSpecialTokens: false));
        var text = new StringBuilder();
        await foreach (var e in Reference.GenerateAsync(new GenerationRequest { PromptTokenIds = ids, MaxTokens = maxTokens, Sampling = SamplingParams.Greedy }))
        {
            text.Append(e.TextDelta);
        }

        return (text.ToString(), ids.Count);
    }

    /// <summary>A chat request body with documents: strings as texts, <c>{"id": ...}</c> for values starting with "chunk-".</summary>
    public static string ChatBody(IReadOnlyList<string> documents, string question, int maxTokens, string? system = null, bool stream = false)
    {
        var messages = new List<object>();
        if (system is not null)
        {
            messages.Add(new { role = "system", content = system });
        }

        messages.Add(new { role = "user", content = question });
        var body = new Dictionary<string, object>
        {
            ["model"] = Model,
            ["messages"] = messages,
            ["documents"] = documents.Select(d => d.StartsWith("chunk-", StringComparison.Ordinal) ? (object)new { id = d } : d).ToList(),
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
        };
        if (stream)
        {
            body["stream"] = true;
            body["stream_options"] = new { include_usage = true };
        }

        return JsonSerializer.Serialize(body);
    }
}
