using System.Text.Json.Nodes;
using InferMesh.Engine.Tokenization;
using static InferMesh.Engine.Tests.Tokenization.SentencePieceFiles;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// Decoders of SentencePiece-style files (HF tokenizers/src/decoders) whole and streaming, on the hand-built
/// vocabulary of <see cref="SentencePieceFiles"/>.
/// </summary>
public sealed class SentencePieceDecoderTests
{
    private static readonly TextTokenizer Llama2 = TextTokenizer.Load(TokenizerFiles.Write(Llama2Style()));

    // The unit test "decode" of HF tokenizers/src/decoders/byte_fallback.rs, case by case.
    [Theory]
    [InlineData(new[] { "Hey", "friend!" }, new[] { "Hey", "friend!" })]
    [InlineData(new[] { "<0x61>" }, new[] { "a" })]
    [InlineData(new[] { "<0xE5>" }, new[] { "\uFFFD" })]
    [InlineData(new[] { "<0xE5>", "<0x8f>" }, new[] { "\uFFFD", "\uFFFD" })]
    [InlineData(new[] { "<0xE5>", "<0x8f>", "<0xab>" }, new[] { "叫" })]
    [InlineData(new[] { "<0xE5>", "<0x8f>", "<0xab>", "a" }, new[] { "叫", "a" })]
    [InlineData(new[] { "<0xE5>", "<0x8f>", "a" }, new[] { "\uFFFD", "\uFFFD", "a" })]
    public void Byte_fallback_decodes_a_run_as_a_whole_or_one_replacement_per_byte_token(string[] tokens, string[] expected)
    {
        Assert.Equal(expected, new ByteFallbackDecoder().DecodeChain([.. tokens]));
    }

    [Fact]
    public void Invalid_byte_run_gives_one_replacement_per_token_where_lossy_utf8_would_give_one()
    {
        // a, <0xE2>, <0x82>, a: E2 82 is an incomplete character, so HF's ByteFallback gives two U+FFFD.
        int[] ids = [A, ByteToken(0xE2), ByteToken(0x82), A];
        Assert.Equal("a\uFFFD\uFFFDa", Llama2.Decode(ids));
        Assert.Equal("a\uFFFD\uFFFDa", Stream(Llama2, ids));
    }

    [Fact]
    public void Strip_removes_only_the_leading_space_of_the_whole_text()
    {
        // "▁hello" "▁hello" -> Replace: " hello", " hello" -> Fuse: " hello hello" -> Strip(" ", 1, 0): "hello hello".
        Assert.Equal("hello hello", Llama2.Decode([SpaceHello, SpaceHello]));
        var decoder = Llama2.CreateStreamingDecoder();
        Assert.Equal("hello", decoder.Push(SpaceHello));
        Assert.Equal(" hello", decoder.Push(SpaceHello));
    }

    [Fact]
    public void Skipped_special_tokens_are_removed_before_the_decoder_runs()
    {
        // Without <s> the first decoder token is "▁hello", whose space Strip removes.
        Assert.Equal("hello", Llama2.Decode([Bos, SpaceHello], skipSpecialTokens: true));
        Assert.Equal("<s> hello", Llama2.Decode([Bos, SpaceHello]));
    }

    [Fact]
    public void Streaming_holds_a_byte_run_back_until_it_ends()
    {
        // HF decodes the run E2 82 AC as a whole; its text is known only when a non-byte token (or the end) comes.
        var decoder = Llama2.CreateStreamingDecoder();
        Assert.Equal("a", decoder.Push(A));
        Assert.Equal("", decoder.Push(ByteToken(0xE2)));
        Assert.Equal("", decoder.Push(ByteToken(0x82)));
        Assert.Equal("", decoder.Push(ByteToken(0xAC)));
        Assert.Equal("€a", decoder.Push(A));
        Assert.Equal("", decoder.Push(ByteToken(0xE2)));
        Assert.Equal("\uFFFD", decoder.Flush()); // the run ends incomplete: one U+FFFD for its one byte token
    }

    [Theory]
    [InlineData("always", "hello hello")]
    [InlineData("never", " hello hello")]
    public void Metaspace_decoder_drops_the_first_tokens_metaspace_unless_the_scheme_is_never(string scheme, string expected)
    {
        // metaspace.rs "decode" test: ["▁Hey", "▁friend!"] -> "Hey", " friend!" (always); " Hey", " friend!" (never).
        var json = Llama2Style();
        json["decoder"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = scheme, ["split"] = true };
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal(expected, tokenizer.Decode([SpaceHello, SpaceHello]));
        Assert.Equal(expected, Stream(tokenizer, [SpaceHello, SpaceHello]));
    }

    [Fact]
    public void Without_a_decoder_tokens_are_joined_with_spaces_as_hf_does()
    {
        var json = Llama2Style();
        json["decoder"] = null;
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal("▁hello ab", tokenizer.Decode([SpaceHello, AB]));
        Assert.Equal("▁hello ab", Stream(tokenizer, [SpaceHello, AB]));
    }

    [Fact]
    public void Strip_before_fuse_applies_to_every_token()
    {
        // Replace then Strip(" ", 1, 0) with no Fuse: " hello" loses its space in each token.
        var json = Llama2Style();
        json["decoder"] = JsonNode.Parse("""
            {"type": "Sequence", "decoders": [
              {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
              {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
            """);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal("hellohello", tokenizer.Decode([SpaceHello, SpaceHello]));
    }

    public static TheoryData<string> Decoders() =>
    [
        Llama2Decoder().ToJsonString(),
        """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""",
        """{"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"}]}""",
        // After Fuse: a two-character pattern and a Strip with a tail, both of which must hold text back.
        """
        {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"},
          {"type": "Replace", "pattern": {"String": "▁h"}, "content": "[H]"},
          {"type": "Strip", "content": "▁", "start": 2, "stop": 2}]}
        """,
        """{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"Regex": "[▁a]+"}, "content": "_"}, {"type": "ByteFallback"}]}""",
    ];

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Streaming_random_tokens_gives_the_same_text_as_decoding_them_at_once(string decoderJson)
    {
        var json = Llama2Style();
        json["decoder"] = JsonNode.Parse(decoderJson);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        int[] pool = [Unk, Bos, Eos, Space, A, B, H, E, L, O, SpaceH, LL, SpaceHello, AB, SpaceA, 267];
        byte[] bytes = [0x41, 0x80, 0xBF, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFF, 0xED, 0xA0];
        var random = new Random(5);
        for (int trial = 0; trial < 400; trial++)
        {
            int[] ids = Enumerable.Range(0, random.Next(0, 16))
                .Select(_ => random.Next(3) == 0 ? ByteToken(bytes[random.Next(bytes.Length)]) : pool[random.Next(pool.Length)])
                .ToArray();
            foreach (bool skip in new[] { false, true })
            {
                var decoder = tokenizer.CreateStreamingDecoder(skip);
                string streamed = string.Concat(ids.Select(decoder.Push)) + decoder.Flush();
                Assert.Equal(tokenizer.Decode(ids, skip), streamed);
            }
        }
    }

    [Fact]
    public void Push_into_a_small_span_keeps_the_rest_for_the_next_calls()
    {
        var decoder = Llama2.CreateStreamingDecoder();
        Span<char> buffer = stackalloc char[3];
        var text = new System.Text.StringBuilder();
        foreach (int id in new[] { SpaceHello, SpaceHello, Space })
        {
            text.Append(buffer[..decoder.Push(id, buffer)]);
        }

        text.Append(decoder.Flush());
        Assert.Equal("hello hello ", text.ToString());
    }

    [Theory]
    [InlineData("""{"type": "WordPiece", "prefix": "##", "cleanup": true}""", "decoder type 'WordPiece'")]
    [InlineData("""{"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "ByteFallback"}]}""", "ByteFallbackDecoder after Fuse")]
    public void Unsupported_decoders_are_named(string decoderJson, string expected)
    {
        var json = Llama2Style();
        json["decoder"] = JsonNode.Parse(decoderJson);
        string path = TokenizerFiles.Write(json);
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    private static string Stream(TextTokenizer tokenizer, int[] ids)
    {
        var decoder = tokenizer.CreateStreamingDecoder();
        return string.Concat(ids.Select(decoder.Push)) + decoder.Flush();
    }
}
