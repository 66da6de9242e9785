using System.Text.Json;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// Our NFC/NFD/NFKC/NFKD against CPython's unicodedata (UnicodeNormalizationVectors.json, written by
/// make_normalization_vectors.py): single code points whose forms differ, plus random base + combining mark strings
/// that exercise canonical ordering, composition blocking and Hangul.
/// </summary>
public sealed class UnicodeNormalizerTests
{
    private static readonly JsonElement[] Cases = LoadCases();

    [Theory]
    [InlineData("nfc")]
    [InlineData("nfd")]
    [InlineData("nfkc")]
    [InlineData("nfkd")]
    public void Every_vector_matches_cpython(string field)
    {
        var form = Enum.Parse<UnicodeNormalizationForm>(field, ignoreCase: true);
        var failures = Cases
            .Select(c => (Text: c.GetProperty("text").GetString()!, Expected: c.GetProperty(field).GetString()!))
            .Where(c => UnicodeNormalizer.Normalize(c.Text, form) != c.Expected)
            .Select(c => string.Join(' ', c.Text.EnumerateRunes().Select(r => $"U+{r.Value:X4}")))
            .Take(10)
            .ToList();
        Assert.True(failures.Count == 0, $"{field} differs for: {string.Join("; ", failures)}");
        Assert.True(Cases.Length > 1000);
    }

    [Fact]
    public void Ascii_text_is_returned_as_is()
    {
        const string text = "plain ASCII text";
        Assert.Same(text, UnicodeNormalizer.Normalize(text, UnicodeNormalizationForm.Nfkc));
    }

    private static JsonElement[] LoadCases()
    {
        string path = Path.Combine(RepoPaths.Root, "tests", "Engine.Tests", "Tokenization", "UnicodeNormalizationVectors.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(e => e.Clone()).ToArray();
    }
}
