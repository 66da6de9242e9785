using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>
/// Every case of tests/fixtures/templates/jinja_reference.json — rendered by real jinja2 configured as transformers
/// configures it (make_reference.py) — renders identically here, or fails here where it fails there.
/// </summary>
public sealed class JinjaReferenceTests
{
    private static readonly Dictionary<string, JsonElement> Cases = LoadCases();

    private static Dictionary<string, JsonElement> LoadCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("templates", "jinja_reference.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone(), StringComparer.Ordinal);
    }

    public static TheoryData<string> RenderCases() => new(Cases.Where(c => c.Value.TryGetProperty("expected", out _)).Select(c => c.Key));

    public static TheoryData<string> ErrorCases() => new(Cases.Where(c => c.Value.TryGetProperty("error", out _)).Select(c => c.Key));

    private static string Source(JsonElement testCase) => testCase.TryGetProperty("template", out var inline)
        ? inline.GetString()!
        : File.ReadAllText(RepoPaths.Fixture("templates", testCase.GetProperty("template_file").GetString()!));

    private static Dictionary<string, object?> Context(JsonElement testCase) =>
        testCase.GetProperty("context").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value, StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(RenderCases))]
    public void Renders_like_jinja2(string name)
    {
        var testCase = Cases[name];

        var rendered = ChatTemplate.Parse(Source(testCase)).Render(Context(testCase));

        Assert.Equal(testCase.GetProperty("expected").GetString(), rendered);
    }

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public void Fails_where_jinja2_fails(string name)
    {
        var testCase = Cases[name];
        var source = Source(testCase);
        var kind = testCase.GetProperty("error").GetString();

        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source).Render(Context(testCase)));

        Assert.InRange(error.Line, 1, source.Split('\n').Length);
        if (kind is "raise" or "undefined")
        {
            Assert.Equal(testCase.GetProperty("message").GetString(), error.Reason);
        }
    }

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public void Syntax_errors_surface_at_parse_time(string name)
    {
        var testCase = Cases[name];
        if (testCase.GetProperty("error").GetString() != "syntax")
        {
            return;
        }

        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(Source(testCase)));

        Assert.Contains($"line {error.Line}:", error.Message, StringComparison.Ordinal);
    }
}
