using InferMesh.Engine.Serving;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Grains.Tests;

/// <summary>An engine that only reports counters, for placement tests that never generate.</summary>
internal sealed class StubEngine(string model, int totalBlocks, int usedBlocks) : IInferenceEngine
{
    public string ModelName => model;

    public int MaxContextLength => 4096;

    public TextTokenizer Tokenizer => throw new NotSupportedException("the stub engine has no tokenizer");

    public ChatTemplate? ChatTemplate => null;

    public EngineStats Stats => new() { TotalKvBlocks = totalBlocks, UsedKvBlocks = usedBlocks };

    public IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the stub engine does not generate");

    public void ReleaseSession(string sessionKey)
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
