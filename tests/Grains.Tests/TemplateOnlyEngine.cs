using InferMesh.Engine.Serving;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Grains.Tests;

/// <summary>
/// An engine with the golden model's tokenizer and a chat template from tests/fixtures/templates, for building turn
/// prompts; it never generates. With <paramref name="corpusTemplate"/>, the template is that one of the real-template
/// corpus (tests/fixtures/templates/real/templates.json) instead; with <paramref name="tokenizer"/>, that tokenizer.
/// </summary>
internal sealed class TemplateOnlyEngine(string templateFile, string? corpusTemplate = null, TextTokenizer? tokenizer = null) : IInferenceEngine
{
    private static readonly string Templates = Path.Combine(GoldenModel.Directory(), "..", "..", "templates");

    private readonly TextTokenizer _tokenizer = tokenizer ?? TextTokenizer.Load(Path.Combine(GoldenModel.Directory(), "tokenizer.json"));
    private readonly ChatTemplate _template = ChatTemplate.Parse(corpusTemplate is null ? File.ReadAllText(Path.Combine(Templates, templateFile)) : CorpusText(corpusTemplate));

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

    private static string CorpusText(string name)
    {
        using var corpus = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Templates, "real", "templates.json")));
        return corpus.RootElement.GetProperty(name).GetProperty("text").GetString()!;
    }
}
