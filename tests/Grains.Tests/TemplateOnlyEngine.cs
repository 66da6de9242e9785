using InferMesh.Engine.Serving;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Grains.Tests;

/// <summary>
/// An engine with the golden model's tokenizer and a chat template from tests/fixtures/templates, for building turn
/// prompts; it never generates.
/// </summary>
internal sealed class TemplateOnlyEngine(string templateFile) : IInferenceEngine
{
    private readonly TextTokenizer _tokenizer = TextTokenizer.Load(Path.Combine(GoldenModel.Directory(), "tokenizer.json"));
    private readonly ChatTemplate _template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(GoldenModel.Directory(), "..", "..", "templates", templateFile)));

    public string ModelName => "template-only";

    public int MaxContextLength => 8192;

    public TextTokenizer Tokenizer => _tokenizer;

    public ChatTemplate? ChatTemplate => _template;

    public EngineStats Stats => new() { TotalKvBlocks = 16 };

    public IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the template-only engine does not generate");

    public void ReleaseSession(string sessionKey)
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
