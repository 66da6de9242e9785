using System.Runtime.CompilerServices;
using InferMesh.Engine.Serving;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Gateway.Tests;

/// <summary>
/// A stand-in engine whose reply text the test sets (<see cref="Reply"/>), sent in pieces of <see cref="PieceLength"/>
/// characters so streaming is exercised, ending with "stop". It keeps the prompt of its last request as text
/// (<see cref="LastPrompt"/>: the golden byte-level tokenizer decodes its encodings back exactly), so tests can check
/// what the chat template rendered. Not the product: it stands in for a model that writes tool calls or reasons.
/// <paramref name="templateText"/>, when given, is the template itself (a real one from the corpus) instead of the file's.
/// </summary>
internal sealed class ReplyScriptEngine(string modelName, string templateFile, string? templateText = null) : IInferenceEngine
{
    private readonly TextTokenizer _tokenizer = TextTokenizer.Load(Path.Combine(GoldenModel.Directory(), "tokenizer.json"));
    private readonly ChatTemplate _template = ChatTemplate.Parse(templateText ?? File.ReadAllText(Fixture.TemplatePath(templateFile)));
    private volatile string _lastPrompt = "";

    public string ModelName => modelName;

    public int MaxContextLength => 8192;

    public TextTokenizer Tokenizer => _tokenizer;

    public ChatTemplate? ChatTemplate => _template;

    public EngineStats Stats => new() { TotalKvBlocks = 256 };

    /// <summary>The text every request is answered with.</summary>
    public string Reply { get; set; } = "Hello.";

    public int PieceLength { get; set; } = 3;

    /// <summary>How the scripted reply ends (Length: as if max_tokens cut it).</summary>
    public FinishReason Finish { get; set; } = FinishReason.Stop;

    /// <summary>The last request as the engine got it (its output constraint included).</summary>
    public GenerationRequest? LastRequest { get; private set; }

    /// <summary>The last request's prompt, decoded.</summary>
    public string LastPrompt => _lastPrompt;

    public async IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _lastPrompt = _tokenizer.Decode(request.PromptTokenIds);
        LastRequest = request;
        var reply = Reply;
        var pieces = Enumerable.Range(0, (reply.Length + PieceLength - 1) / PieceLength)
            .Select(i => reply.Substring(i * PieceLength, Math.Min(PieceLength, reply.Length - i * PieceLength))).ToList();
        for (var i = 0; i < pieces.Count; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            var last = i == pieces.Count - 1;
            yield return new TokenEvent
            {
                TokenId = 100 + i,
                TextDelta = pieces[i],
                Finish = last ? Finish : FinishReason.None,
                PromptTokens = last ? request.PromptTokenIds.Count : 0,
                CompletionTokens = last ? pieces.Count : 0,
            };
        }
    }

    public void ReleaseSession(string sessionKey)
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
