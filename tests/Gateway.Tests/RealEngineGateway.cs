using InferMesh.Engine.Serving;

namespace InferMesh.Gateway.Tests;

/// <summary>The gateway over the real CPU engine on the golden tiny-llama, plus a second engine as the bare reference.</summary>
public sealed class RealEngineGateway : IAsyncLifetime
{
    public const string Model = "tiny-llama";

    public GatewayHost Host { get; private set; } = null!;

    public InferenceEngine Reference { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var options = new EngineOptions { Threads = 1, KvCacheBlocks = 256 };
        Host = await GatewayHost.StartAsync(InferenceEngine.Load(GoldenModel.Directory(), options));
        Reference = InferenceEngine.Load(GoldenModel.Directory(), options);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Host.Engine.DisposeAsync();
        await Reference.DisposeAsync();
    }

    /// <summary>The bare engine's greedy reply to the whole conversation, rendered and encoded from scratch.</summary>
    public async Task<(string Text, int PromptTokens, int CompletionTokens)> ReferenceReplyAsync(IReadOnlyList<(string Role, string Content)> conversation, int maxTokens)
    {
        var prompt = Reference.ChatTemplate!.Render(new Dictionary<string, object?>
        {
            ["messages"] = conversation.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = true,
            ["bos_token"] = Reference.Tokenizer.BosToken ?? "",
            ["eos_token"] = Reference.Tokenizer.EosToken ?? "",
        });
        var ids = Reference.Tokenizer.Encode(prompt, addSpecialTokens: false);
        var text = new System.Text.StringBuilder();
        var completion = 0;
        await foreach (var e in Reference.GenerateAsync(new GenerationRequest { PromptTokenIds = ids, MaxTokens = maxTokens, Sampling = Engine.Sampling.SamplingParams.Greedy }))
        {
            text.Append(e.TextDelta);
            completion = Math.Max(completion, e.CompletionTokens);
        }

        return (text.ToString(), ids.Count, completion);
    }
}
