using InferMesh.Contracts;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Grains.Tests;

/// <summary>
/// The single-node reference: the engine alone, no Orleans. Each turn renders the whole conversation with the chat
/// template and encodes it from scratch (what a client of a bare engine would do), then decodes greedily.
/// </summary>
internal sealed class BareEngineReference : IAsyncDisposable
{
    private readonly InferenceEngine _engine = InferenceEngine.Load(GoldenModel.Directory(), new EngineOptions { Threads = 1, KvCacheBlocks = 128 });

    public async Task<(IReadOnlyList<int> PromptIds, IReadOnlyList<int> ReplyIds, string Text)> ReplyAsync(IReadOnlyList<ChatMessage> conversation, int maxTokens)
    {
        var prompt = _engine.ChatTemplate!.Render(new Dictionary<string, object?>
        {
            ["messages"] = conversation.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = true,
            ["bos_token"] = _engine.Tokenizer.BosToken ?? "",
            ["eos_token"] = _engine.Tokenizer.EosToken ?? "",
        });
        var ids = _engine.Tokenizer.Encode(prompt, addSpecialTokens: false);
        var reply = new List<int>();
        var text = new System.Text.StringBuilder();
        await foreach (var e in _engine.GenerateAsync(new GenerationRequest { PromptTokenIds = ids, MaxTokens = maxTokens, Sampling = SamplingParams.Greedy }))
        {
            if (e.TokenId >= 0)
            {
                reply.Add(e.TokenId);
            }

            text.Append(e.TextDelta);
        }

        return (ids, reply, text.ToString());
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
