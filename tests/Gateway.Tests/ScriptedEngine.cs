using System.Runtime.CompilerServices;
using InferMesh.Engine.Serving;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Gateway.Tests;

/// <summary>
/// A deterministic stand-in engine for gateway behaviour tests (queueing, disconnects, validation): it emits token i
/// as text "t{i} " every <see cref="TokenDelay"/>, ends with "length", and counts sequences and cancellations. It is
/// not the product: replies that must be right come from the real engine in the other tests.
/// </summary>
internal sealed class ScriptedEngine(string modelName, TextTokenizer? tokenizer = null, ChatTemplate? template = null) : IInferenceEngine
{
    private int _running;
    private int _cancelled;
    private int _started;

    public string ModelName => modelName;

    public int MaxContextLength => 4096;

    public TextTokenizer Tokenizer => tokenizer ?? throw new NotSupportedException("this scripted engine has no tokenizer");

    public ChatTemplate? ChatTemplate => template;

    public TimeSpan TokenDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    public int Running => Volatile.Read(ref _running);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public int Started => Volatile.Read(ref _started);

    public EngineStats Stats => new() { TotalKvBlocks = 256, UsedKvBlocks = Running, RunningSequences = Running };

    public async IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _started);
        Interlocked.Increment(ref _running);
        var finished = false;
        try
        {
            for (var i = 0; i < request.MaxTokens; i++)
            {
                await Task.Delay(TokenDelay, cancellationToken);
                var last = i == request.MaxTokens - 1;
                finished = last;
                yield return new TokenEvent
                {
                    TokenId = i,
                    TextDelta = $"t{i} ",
                    Finish = last ? FinishReason.Length : FinishReason.None,
                    PromptTokens = last ? request.PromptTokenIds.Count : 0,
                    CompletionTokens = last ? request.MaxTokens : 0,
                };
            }
        }
        finally
        {
            if (!finished)
            {
                Interlocked.Increment(ref _cancelled);
            }

            Interlocked.Decrement(ref _running);
        }
    }

    public void ReleaseSession(string sessionKey)
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
