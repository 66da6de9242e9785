using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>tokenizer.json variants real models use: merge forms, Llama 3's Split pre-tokenizer, ignore_merges, post-processors.</summary>
public sealed class TokenizerFormatTests
{
    private static readonly JsonObject Golden = TokenizerFiles.LoadGoldenJson();
    private static readonly NaiveByteLevelBpe Naive = new(Golden);
    private static readonly TextTokenizer GoldenTokenizer = TextTokenizer.Load(TokenizerFiles.GoldenPath);

    private static readonly string[] Texts =
    [
        "The quick brown fox jumps over the lazy dog.",
        "  leading spaces, tabs\tand\nnewlines\n\n",
        "Unicode: café naïve — 東京 🚀 ü",
        "1234567890 + 987654321 = ?",
        "DON'T you'll We'RE it's",
        "Hello,   world!!\r\n\r\n  foo",
        "https://example.com/a?b=c&d=e",
    ];

    [Fact]
    public void Merges_in_string_form_encode_like_the_pair_form()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        var merges = json["model"]!["merges"]!.AsArray();
        Assert.IsType<JsonArray>(merges[0]); // the golden file uses the newer [a, b] form
        json["model"]!["merges"] = new JsonArray(merges.Select(m => (JsonNode)JsonValue.Create($"{m![0]} {m[1]}")).ToArray());
        var stringForm = TextTokenizer.Load(TokenizerFiles.Write(json));
        foreach (string text in Texts)
        {
            Assert.Equal(GoldenTokenizer.Encode(text), stringForm.Encode(text));
        }
    }

    [Fact]
    public void Bpe_of_single_words_matches_a_naive_reference()
    {
        // Each of these is one GPT-2 pre-token (" ?\p{L}+"), so Encode is exactly BPE of the word.
        var random = new Random(7);
        var words = string.Join(' ', Texts).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.All(char.IsLetter))
            .SelectMany(w => new[] { w, " " + w })
            .Concat(Enumerable.Range(0, 300).Select(_ => new string(Enumerable.Range(0, random.Next(1, 14)).Select(_ => "etaoinshrdlucé"[random.Next(14)]).ToArray())))
            .ToList();
        foreach (string word in words)
        {
            Assert.Equal(Naive.EncodeWord(word), GoldenTokenizer.Encode(word));
        }
    }

    [Fact]
    public void Llama3_split_pre_tokenizer_encodes_each_regex_piece_separately()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["pre_tokenizer"] = TokenizerFiles.Llama3PreTokenizer();
        var llama3 = TextTokenizer.Load(TokenizerFiles.Write(json));
        foreach (string text in Texts)
        {
            // Reference: the pattern's matches (BMP text, so .NET's regex sees what Oniguruma sees), each BPE'd naively.
            var expected = Regex.Matches(text, TokenizerFiles.Llama3Pattern).SelectMany(m => Naive.EncodeWord(m.Value));
            Assert.Equal(expected, llama3.Encode(text));
        }
    }

    [Fact]
    public void Llama3_pattern_groups_digits_by_three_and_matches_contractions_in_any_case()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["pre_tokenizer"] = TokenizerFiles.Llama3PreTokenizer();
        var llama3 = TextTokenizer.Load(TokenizerFiles.Write(json));
        // \p{N}{1,3} and (?i:'s|'t|...) of the documented pattern, pieces listed by hand:
        Assert.Equal(new[] { "123", "456", "789", "0" }.SelectMany(Naive.EncodeWord), llama3.Encode("1234567890"));
        Assert.Equal(new[] { "DON", "'T" }.SelectMany(Naive.EncodeWord), llama3.Encode("DON'T"));
        // GPT-2's pattern is case-sensitive: "'T" is "'" then "T".
        Assert.Equal(new[] { "DON", "'", "T" }.SelectMany(Naive.EncodeWord), GoldenTokenizer.Encode("DON'T"));
    }

    [Fact]
    public void Ignore_merges_takes_a_vocabulary_word_whole()
    {
        // tokenizers' BPE model: with ignore_merges, a pre-token found in the vocabulary is one token (Llama 3 sets it).
        var json = TokenizerFiles.LoadGoldenJson();
        var vocab = json["model"]!["vocab"]!.AsObject();
        int id = vocab.Count;
        vocab["Ġzzyzx"] = id;
        json["added_tokens"]!.AsArray().Clear();
        Assert.Equal(Naive.EncodeWord(" zzyzx"), TextTokenizer.Load(TokenizerFiles.Write(json)).Encode(" zzyzx"));
        json["model"]!["ignore_merges"] = true;
        var ignoring = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal([id], ignoring.Encode(" zzyzx"));
        Assert.Equal(Naive.EncodeWord(" zzyzxa"), ignoring.Encode(" zzyzxa"));
    }

    [Fact]
    public void Byte_level_post_processor_adds_nothing()
    {
        Assert.Equal(GoldenTokenizer.Encode("Hello there"), GoldenTokenizer.Encode("Hello there", addSpecialTokens: true));
    }

    [Fact]
    public void Template_processing_adds_its_special_tokens_only_when_asked()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        int bos = TokenizerFiles.AddToken(json, "<|begin_of_text|>", special: true);
        json["post_processor"] = Template(("<|begin_of_text|>", bos), null);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        var plain = GoldenTokenizer.Encode("Hello there");
        Assert.Equal([bos, .. plain], tokenizer.Encode("Hello there", addSpecialTokens: true));
        Assert.Equal(plain, tokenizer.Encode("Hello there"));
    }

    [Fact]
    public void Sequence_of_byte_level_and_template_wraps_both_ends()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["post_processor"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
                Template(("<|im_start|>", 1), ("<|im_end|>", 2))),
        };
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal([1, .. GoldenTokenizer.Encode("hi"), 2], tokenizer.Encode("hi", addSpecialTokens: true));
    }

    [Fact]
    public void Bos_and_eos_may_be_added_token_objects_in_tokenizer_config()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        int bos = TokenizerFiles.AddToken(json, "<|begin_of_text|>", special: true);
        var config = new JsonObject
        {
            ["bos_token"] = new JsonObject { ["__type"] = "AddedToken", ["content"] = "<|begin_of_text|>", ["special"] = true },
            ["eos_token"] = "<|endoftext|>",
        };
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json, config));
        Assert.Equal("<|begin_of_text|>", tokenizer.BosToken);
        Assert.Equal(bos, tokenizer.BosTokenId);
        Assert.Equal("<|endoftext|>", tokenizer.EosToken);
        Assert.Equal([0], tokenizer.EosTokenIds);
    }

    [Fact]
    public void Nfc_normalizer_composes_before_bpe()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["normalizer"] = new JsonObject { ["type"] = "NFC" };
        var nfc = TextTokenizer.Load(TokenizerFiles.Write(json));
        // U+0065 U+0301 composes to U+00E9 under NFC (UAX #15), which is how "café" is spelled in the golden text.
        Assert.Equal(GoldenTokenizer.Encode("caf\u00e9"), nfc.Encode("cafe\u0301"));
        Assert.NotEqual(GoldenTokenizer.Encode("caf\u00e9"), GoldenTokenizer.Encode("cafe\u0301"));
    }

    [Fact]
    public void Supplementary_letters_stay_inside_words_as_in_oniguruma()
    {
        var gpt2 = PreTokenizerRegexForTest(PreTokenizerRegex.Gpt2Pattern);
        // U+20000 is a letter (Lo), U+1D7D8..U+1D7DB are digits (Nd): the pattern sees code points, not UTF-16 halves.
        Assert.Equal(["a\U00020000b", " c"], Pieces(gpt2, "a\U00020000b c"));
        Assert.Equal(["1\U0001D7D8\U0001D7D9", "\U0001D7DA\U0001D7DB", " 🚀"], Pieces(PreTokenizerRegexForTest(TokenizerFiles.Llama3Pattern), "1\U0001D7D8\U0001D7D9\U0001D7DA\U0001D7DB 🚀"));
    }

    private static PreTokenizerRegex PreTokenizerRegexForTest(string pattern) => PreTokenizerRegex.Compile(pattern, "test", "test");

    private static string[] Pieces(PreTokenizerRegex regex, string text)
    {
        var matches = new List<(int Start, int Length)>();
        regex.FindMatches(text, matches);
        return matches.Select(m => text.Substring(m.Start, m.Length)).ToArray();
    }

    /// <summary>A TemplateProcessing post_processor in HF's serialized form, "single" = [before] $A [after].</summary>
    private static JsonObject Template((string Token, int Id)? before, (string Token, int Id)? after)
    {
        var single = new JsonArray();
        var specials = new JsonObject();
        void Special((string Token, int Id) special)
        {
            single.Add(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = special.Token, ["type_id"] = 0 } });
            specials[special.Token] = new JsonObject { ["id"] = special.Token, ["ids"] = new JsonArray(special.Id), ["tokens"] = new JsonArray(special.Token) };
        }

        if (before is { } b)
        {
            Special(b);
        }

        single.Add(new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } });
        if (after is { } a)
        {
            Special(a);
        }

        return new JsonObject { ["type"] = "TemplateProcessing", ["single"] = single, ["pair"] = new JsonArray(), ["special_tokens"] = specials };
    }
}
