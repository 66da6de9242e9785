using InferMesh.Engine.Serving;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Gateway.Tests;

/// <summary>
/// The real tiny engine shown through Qwen2.5's tool-calling chat template (its own template cannot render tools):
/// real decoding, so an output constraint is what shapes the reply. Not the product: a fixture for forced tool_choice.
/// </summary>
internal sealed class ToolTemplateEngine(InferenceEngine inner) : IInferenceEngine
{
    private readonly ChatTemplate _template = ChatTemplate.Parse(File.ReadAllText(Fixture.TemplatePath("qwen2.5-instruct.jinja")));

    public string ModelName => inner.ModelName;

    public int MaxContextLength => inner.MaxContextLength;

    public TextTokenizer Tokenizer => inner.Tokenizer;

    public ChatTemplate? ChatTemplate => _template;

    public EngineStats Stats => inner.Stats;

    public IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) => inner.GenerateAsync(request, cancellationToken);

    public void ReleaseSession(string sessionKey) => inner.ReleaseSession(sessionKey);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
