using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Serving;

/// <summary>
/// One model on one device serving many sequences at once (continuous batching). Thread-safe: any number of callers
/// may generate concurrently; cancelling the token ends the sequence and frees its KV blocks at once.
/// </summary>
public interface IInferenceEngine : IAsyncDisposable
{
    /// <summary>Model name (the folder name unless configured).</summary>
    string ModelName { get; }

    /// <summary>Longest prompt + completion the engine accepts, in tokens.</summary>
    int MaxContextLength { get; }

    TextTokenizer Tokenizer { get; }

    /// <summary>The model's chat template, or null when the folder has none.</summary>
    ChatTemplate? ChatTemplate { get; }

    EngineStats Stats { get; }

    IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>Drops the KV kept for a session key (see <see cref="GenerationRequest.SessionKey"/>).</summary>
    void ReleaseSession(string sessionKey);
}
