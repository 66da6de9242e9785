using System.Runtime.CompilerServices;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Cli.Cluster;

/// <summary>
/// The engine in this process, driven like the gateway drives it (chat template, session KV kept between turns):
/// the baseline against which the gateway + Orleans overhead per request is measured.
/// </summary>
internal sealed class EngineChatTarget(InferenceEngine engine) : IChatTarget
{
    private readonly Dictionary<string, List<Dictionary<string, object?>>> _conversations = [];
    private readonly Lock _gate = new();

    public string Description => $"engine in-process ({engine.ModelName} on {engine.DeviceName})";

    public async IAsyncEnumerable<StreamedPiece> TurnAsync(string session, IReadOnlyList<(string Role, string Content)> newMessages, int maxTokens, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<Dictionary<string, object?>> conversation;
        lock (_gate)
        {
            if (!_conversations.TryGetValue(session, out conversation!))
            {
                _conversations[session] = conversation = [];
            }
        }

        conversation.AddRange(newMessages.Select(m => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }));
        var prompt = engine.ChatTemplate!.Render(new Dictionary<string, object?>
        {
            ["messages"] = conversation.Cast<object?>().ToList(),
            ["add_generation_prompt"] = true,
            ["bos_token"] = engine.Tokenizer.BosToken ?? "",
            ["eos_token"] = engine.Tokenizer.EosToken ?? "",
        });
        var request = new GenerationRequest
        {
            PromptTokenIds = engine.Tokenizer.Encode(prompt, addSpecialTokens: false),
            MaxTokens = maxTokens,
            Sampling = SamplingParams.Greedy,
            IgnoreEos = true,
            SessionKey = session,
        };
        var reply = new System.Text.StringBuilder();
        await foreach (var e in engine.GenerateAsync(request, cancellationToken))
        {
            reply.Append(e.TextDelta);
            yield return new StreamedPiece(e.TextDelta, e.Finish == FinishReason.None ? null : e.CompletionTokens, e.Finish == FinishReason.None ? null : e.PromptTokens, e.Finish == FinishReason.None ? null : e.CachedPromptTokens);
        }

        conversation.Add(new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = reply.ToString() });
    }

    public ValueTask DisposeAsync() => engine.DisposeAsync();
}
