using System.Text.Json;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>The real chat templates of tests/fixtures/templates/real/templates.json, by the name the corpus gives them.</summary>
internal static class RealTemplates
{
    private static readonly Lazy<JsonElement> Corpus = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture.TemplatePath(Path.Combine("real", "templates.json"))));
        return document.RootElement.Clone();
    });

    public const string Qwen3 = "Qwen/Qwen3-0.6B";

    /// <summary>DeepSeek-R1's first template: the generation prompt opens no think block, the model writes <c>&lt;think&gt;</c> itself.</summary>
    public const string DeepSeekR1 = "deepseek-ai/DeepSeek-R1";

    /// <summary>A DeepSeek-R1-Distill-Qwen model's template (DeepCoder's GGUF): the generation prompt ends with <c>&lt;think&gt;\n</c>.</summary>
    public const string R1Distill = "ollama/deepcoder:14b";

    public const string QwQ = "ollama/qwq:32b";

    public const string SmolLM3 = "HuggingFaceTB/SmolLM3-3B";

    public static string Text(string name) => Corpus.Value.GetProperty(name).GetProperty("text").GetString()!;
}
