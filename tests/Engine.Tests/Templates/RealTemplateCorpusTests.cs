using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>
/// The real chat templates of tests/fixtures/templates/real/templates.json (133: Hugging Face models as shipped in GGUFs
/// and in huggingface.js' test suite, and mistral-common's official templates) over ten conversations each, against the
/// renders of jinja2 configured as transformers configures it (make_real_renders.py): every render identical, every
/// failure a failure here too, with raise_exception's own message.
/// </summary>
public sealed class RealTemplateCorpusTests
{
    private static readonly JsonElement Templates = Load("templates.json");
    private static readonly JsonElement Renders = Load("renders.json");

    private static JsonElement Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("templates", "real", file)));
        return doc.RootElement.Clone();
    }

    public static TheoryData<string> TemplateNames() => new(Templates.EnumerateObject().Select(t => t.Name));

    [Theory]
    [MemberData(nameof(TemplateNames))]
    public void Renders_every_conversation_as_transformers_does(string name)
    {
        var template = ChatTemplate.Parse(Templates.GetProperty(name).GetProperty("text").GetString()!);

        foreach (var render in Renders.GetProperty("renders").GetProperty(name).EnumerateObject())
        {
            var conversation = render.Name;
            var variables = Variables(conversation);
            if (render.Value.TryGetProperty("expected", out var expected))
            {
                var rendered = template.Render(variables, FixedClock.ReferenceInstant);
                Assert.True(expected.GetString() == rendered, Difference(conversation, expected.GetString()!, rendered));
            }
            else
            {
                var error = Assert.Throws<TemplateException>(() => template.Render(variables, FixedClock.ReferenceInstant));
                if (render.Value.GetProperty("error").GetString() == "raise")
                {
                    Assert.Equal(render.Value.GetProperty("message").GetString(), error.Reason);
                }
            }
        }
    }

    [Fact]
    public void Corpus_covers_the_models_the_engine_targets()
    {
        var names = Templates.EnumerateObject().Select(t => t.Name).ToList();

        Assert.True(names.Count >= 130, $"only {names.Count} templates");
        Assert.Contains("meta-llama/Llama-3.1-8B-Instruct", names);
        Assert.Contains("Qwen/Qwen2.5-7B-Instruct", names);
        Assert.Contains("mistral-common/v7", names);
    }

    /// <summary>What apply_chat_template passes: the special tokens, tools and documents (None when absent), then the conversation.</summary>
    private static Dictionary<string, object?> Variables(string conversation)
    {
        var variables = Renders.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.GetString(), StringComparer.Ordinal);
        variables["tools"] = null;
        variables["documents"] = null;
        foreach (var property in Renders.GetProperty("conversations").GetProperty(conversation).EnumerateObject())
        {
            variables[property.Name] = property.Value;
        }

        return variables;
    }

    private static string Difference(string conversation, string expected, string actual)
    {
        var at = 0;
        while (at < Math.Min(expected.Length, actual.Length) && expected[at] == actual[at])
        {
            at++;
        }

        static string Excerpt(string s, int from) => s.Substring(from, Math.Min(120, s.Length - from)).Replace("\n", "\\n", StringComparison.Ordinal);
        return $"conversation '{conversation}' differs at char {at}: expected «{Excerpt(expected, at)}» but rendered «{Excerpt(actual, at)}»";
    }
}
