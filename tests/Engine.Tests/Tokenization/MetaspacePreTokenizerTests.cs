using System.Text.Json;
using InferMesh.Engine.Tokenization;
using static InferMesh.Engine.Tests.Tokenization.SentencePieceFiles;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// HF's Metaspace pre-tokenizer. The expected splits are those of the unit tests in HF
/// tokenizers/src/pre_tokenizers/metaspace.rs (basic, multiple_spaces, non_legacy_meta_space).
/// </summary>
public sealed class MetaspacePreTokenizerTests
{
    [Fact]
    public void Always_with_split_prefixes_and_cuts_before_every_metaspace()
    {
        var metaspace = new MetaspacePreTokenizer("▁", PrependScheme.Always, split: true);
        Assert.Equal(["▁Hey", "▁friend!"], Split(metaspace, "Hey friend!", sourceStartsText: true));
        Assert.Equal(["▁Hey", "▁", "▁", "▁friend!"], Split(metaspace, "Hey   friend!", sourceStartsText: true));
    }

    [Fact]
    public void First_prefixes_only_the_piece_at_the_start_of_the_text()
    {
        // metaspace.rs non_legacy_meta_space: " Hey <s>how" split around "<s>" gives "▁Hey▁", "<s>", "how".
        var metaspace = new MetaspacePreTokenizer("▁", PrependScheme.First, split: false);
        Assert.Equal(["▁Hey▁"], Split(metaspace, " Hey ", sourceStartsText: true));
        Assert.Equal(["how"], Split(metaspace, "how", sourceStartsText: false));
        Assert.Equal(["▁Hey▁my▁friend▁"], Split(metaspace, "Hey my friend ", sourceStartsText: true));
    }

    [Fact]
    public void Never_only_replaces_spaces()
    {
        var metaspace = new MetaspacePreTokenizer("▁", PrependScheme.Never, split: true);
        Assert.Equal(["Hey", "▁friend"], Split(metaspace, "Hey friend", sourceStartsText: true));
    }

    [Theory]
    [InlineData("""{"type": "Metaspace", "replacement": "▁", "add_prefix_space": true}""", "Always")]
    [InlineData("""{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}""", "Never")]
    [InlineData("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""", "First")]
    public void Legacy_add_prefix_space_and_prepend_scheme_are_read_as_hf_reads_them(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal(expected, MetaspacePreTokenizer.ReadScheme(document.RootElement, "test.json", "pre_tokenizer Metaspace").ToString());
    }

    [Fact]
    public void Add_prefix_space_false_contradicting_prepend_scheme_always_is_an_error_as_in_hf()
    {
        // metaspace.rs serialization test: this combination fails to deserialize.
        using var document = JsonDocument.Parse("""{"type": "Metaspace", "replacement": "_", "add_prefix_space": false, "prepend_scheme": "always"}""");
        Assert.Throws<InvalidDataException>(() => MetaspacePreTokenizer.ReadScheme(document.RootElement, "test.json", "pre_tokenizer Metaspace"));
    }

    [Fact]
    public void First_scheme_in_a_tokenizer_leaves_the_text_after_an_added_token_unprefixed()
    {
        // "ab<s>ab": the first piece becomes "▁ab" -> ▁ + ab (rank 5 before rank 6); "<s>" is id 1; the piece after it
        // starts at offset 4, not 0, so it stays "ab" -> ab.
        var first = TextTokenizer.Load(TokenizerFiles.Write(MetaspaceStyle("first", split: false)));
        Assert.Equal([Space, AB, Bos, AB], first.Encode("ab<s>ab"));

        var always = TextTokenizer.Load(TokenizerFiles.Write(MetaspaceStyle("always", split: false)));
        Assert.Equal([Space, AB, Bos, Space, AB], always.Encode("ab<s>ab"));
    }

    [Fact]
    public void A_continuation_gets_no_prefix_under_either_scheme()
    {
        // "ab" continuing earlier text: nothing is prepended, so it is "ab" -> ab, where a fresh encoding gives ▁ + ab.
        foreach (var scheme in new[] { "first", "always" })
        {
            var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(MetaspaceStyle(scheme, split: false)));
            Assert.Equal([AB], tokenizer.Encode("ab", continuation: true));
            Assert.Equal([Space, AB], tokenizer.Encode("ab"));
        }
    }

    [Fact]
    public void Split_true_encodes_each_metaspace_word_on_its_own()
    {
        // "hello ab" -> "▁hello▁ab" -> words "▁hello" and "▁ab" -> ▁hello; ▁ + ab (rank 5 before rank 6).
        // "  a" -> "▁▁a" (starts with "▁": nothing prepended) -> words "▁" and "▁a" -> ▁; ▁a (rank 6).
        var split = TextTokenizer.Load(TokenizerFiles.Write(MetaspaceStyle("always", split: true)));
        Assert.Equal([SpaceHello, Space, AB], split.Encode("hello ab"));
        Assert.Equal([Space, SpaceA], split.Encode("  a"));
    }

    [Fact]
    public void Metaspace_with_byte_level_is_refused_by_name()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["pre_tokenizer"] = System.Text.Json.Nodes.JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
            """);
        string path = TokenizerFiles.Write(json);
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("ByteLevel and Metaspace", error.Message);
    }

    private static List<string> Split(MetaspacePreTokenizer metaspace, string text, bool sourceStartsText)
    {
        var output = new List<TextSlice>();
        metaspace.Split([new TextSlice(text, 0, text.Length)], output, sourceStartsText ? SectionStart.Text : SectionStart.AfterAddedToken);
        return output.Select(s => s.Span.ToString()).ToList();
    }
}
