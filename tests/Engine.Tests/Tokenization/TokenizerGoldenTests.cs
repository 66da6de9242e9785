using System.Text.Json;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// Every case of tokenizer_golden.json (made by HF tokenizers, see tests/fixtures/golden/make_golden.py): ids and
/// decoded text exact. The golden "decoded" is tokenizers' <c>Tokenizer.decode(ids)</c>, whose default skips
/// special tokens.
/// </summary>
public sealed class TokenizerGoldenTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(TokenizerFiles.GoldenPath);

    private static List<(string Text, int[] Ids, string Decoded)> Golden { get; } = LoadGolden();

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Golden.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encoding_matches_hf_tokenizers(int index)
    {
        var (text, ids, _) = Golden[index];
        Assert.Equal(ids, Tokenizer.Encode(text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decoding_with_special_tokens_skipped_matches_hf_tokenizers(int index)
    {
        var (_, ids, decoded) = Golden[index];
        Assert.Equal(decoded, Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_deltas_concatenate_to_the_full_decode(int index)
    {
        var (_, ids, decoded) = Golden[index];
        foreach (bool skip in new[] { true, false })
        {
            var stream = Tokenizer.CreateStreamingDecoder(skipSpecialTokens: skip);
            string text = string.Concat(ids.Select(stream.Push)) + stream.Flush();
            Assert.Equal(Tokenizer.Decode(ids, skip), text);
        }

        Assert.Equal(decoded, Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_never_emits_part_of_a_character(int index)
    {
        var (text, ids, _) = Golden[index];
        var stream = Tokenizer.CreateStreamingDecoder();
        string emitted = "";
        foreach (int id in ids)
        {
            string delta = stream.Push(id);
            Assert.DoesNotContain('\uFFFD', delta);
            Assert.False(delta.Length > 0 && char.IsHighSurrogate(delta[^1]), "a delta ended inside a surrogate pair");
            emitted += delta;
            Assert.StartsWith(emitted, text, StringComparison.Ordinal); // every prefix is a prefix of the real text
        }

        Assert.Equal("", stream.Flush());
    }

    [Fact]
    public void Golden_cases_split_emoji_and_cjk_across_tokens()
    {
        // The streaming cases above only prove something if some character's bytes span several tokens.
        var (_, ids, _) = Golden.Single(c => c.Text == "🙂🙃");
        Assert.True(ids.Length > 2);
        var stream = Tokenizer.CreateStreamingDecoder();
        Assert.Equal(["", "", "", "🙂", "", "", "", "🙃"], ids.Select(stream.Push).ToArray());
    }

    [Fact]
    public void Decoding_keeps_special_tokens_unless_asked_to_skip_them()
    {
        var ids = Tokenizer.Encode("<|im_start|>hi<|im_end|>");
        Assert.Equal("<|im_start|>hi<|im_end|>", Tokenizer.Decode(ids));
        Assert.Equal("hi", Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Eos_comes_from_tokenizer_config()
    {
        Assert.Equal("<|im_end|>", Tokenizer.EosToken);
        Assert.Equal([2], Tokenizer.EosTokenIds);
        Assert.Null(Tokenizer.BosToken);
        Assert.Null(Tokenizer.BosTokenId);
    }

    [Fact]
    public void Ids_outside_the_vocabulary_decode_to_nothing_as_in_hf()
    {
        // HF tokenizers' decode filter_maps ids it cannot find (tokenizer/mod.rs, Tokenizer::decode).
        Assert.Equal("a", Tokenizer.Decode([999_999, 67, -1]));
        Assert.Equal("", Tokenizer.CreateStreamingDecoder().Push(999_999));
    }

    [Fact]
    public void Vocabulary_lookups_cover_model_and_added_tokens()
    {
        Assert.Equal(2048, Tokenizer.VocabSize);
        Assert.Equal(1, Tokenizer.TokenToId("<|im_start|>"));
        Assert.Equal(223, Tokenizer.TokenToId("Ġ")); // the golden ' ' case encodes to 223
        Assert.Null(Tokenizer.TokenToId("not a token"));
        Assert.True(Tokenizer.IsSpecial(0));
        Assert.False(Tokenizer.IsSpecial(67));
        Assert.False(Tokenizer.IsSpecial(-5));
    }

    [Fact]
    public void Concurrent_encodes_agree_with_the_golden_ids()
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var (text, ids, _) = Golden[i % Golden.Count];
            if (!ids.SequenceEqual(Tokenizer.Encode(text)))
            {
                failures.Add(text);
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void Lone_surrogates_encode_as_the_replacement_character_bytes()
    {
        // A Rust string cannot hold a lone surrogate; UTF-8 encoding turns it into U+FFFD, whose bytes BPE then sees.
        Assert.Equal(Tokenizer.Encode("a\uFFFDb"), Tokenizer.Encode("a\uD800b"));
    }

    private static List<(string, int[], string)> LoadGolden()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Golden("tokenizer_golden.json")));
        return doc.RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("text").GetString()!,
                e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                e.GetProperty("decoded").GetString()!))
            .ToList();
    }
}
