using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>
/// Every case of tests/fixtures/templates/jinja_reference.json and fuzz_reference.json — rendered by real jinja2
/// configured as transformers configures it (make_reference.py, make_fuzz_reference.py, hf_environment.py) — renders
/// identically here, or fails here where it fails there; the few marked as limitations fail here with an error rather
/// than render differently.
/// </summary>
public sealed class JinjaReferenceTests
{
    private static readonly Dictionary<string, JsonElement> Cases = LoadCases();

    /// <summary>The hand-written cases (make_reference.py) and the random ones (make_fuzz_reference.py).</summary>
    private static Dictionary<string, JsonElement> LoadCases()
    {
        var cases = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var file in new[] { "jinja_reference.json", "fuzz_reference.json" })
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("templates", file)));
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            {
                cases.Add(c.GetProperty("name").GetString()!, c.Clone());
            }
        }

        return cases;
    }

    public static TheoryData<string> RenderCases() => new(Cases.Where(c => c.Value.TryGetProperty("expected", out _) && !IsLimitation(c.Value)).Select(c => c.Key));

    public static TheoryData<string> LimitationCases() => new(Cases.Where(c => IsLimitation(c.Value)).Select(c => c.Key));

    private static bool IsLimitation(JsonElement testCase) => testCase.TryGetProperty("limitation", out _);

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

        var rendered = ChatTemplate.Parse(Source(testCase)).Render(Context(testCase), FixedClock.ReferenceInstant);

        Assert.Equal(testCase.GetProperty("expected").GetString(), rendered);
    }

    [Theory]
    [MemberData(nameof(LimitationCases))]
    public void Limitations_fail_loudly_instead_of_rendering_differently(string name)
    {
        var testCase = Cases[name];

        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(Source(testCase)).Render(Context(testCase), FixedClock.ReferenceInstant));

        Assert.Equal(1, error.Line);
    }

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public void Fails_where_jinja2_fails(string name)
    {
        var testCase = Cases[name];
        var source = Source(testCase);
        var kind = testCase.GetProperty("error").GetString();

        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source).Render(Context(testCase), FixedClock.ReferenceInstant));

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

        Assert.StartsWith($"chat template line {error.Line}", error.Message, StringComparison.Ordinal);
    }
}
