using System.Text.Json.Nodes;
using InferMesh.Engine.Tokenization;
using static InferMesh.Engine.Tests.Tokenization.SentencePieceFiles;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// Gemma's tokenizer.json is SentencePiece BPE with byte fallback, not Unigram: transformers' GemmaConverter
/// (convert_slow_tokenizer.py) writes model BPE (byte_fallback), normalizer Replace(" " → "▁") with no Prepend (Gemma adds
/// no dummy prefix), pre_tokenizer null (Gemma 1/2) or Split(" ", merged_with_previous) (newer conversions), decoder
/// Replace("▁" → " "), ByteFallback, Fuse (no Strip). That layout, on the hand-built vocabulary of
/// <see cref="SentencePieceFiles"/>.
/// </summary>
public sealed class GemmaTokenizerFormatTests
{
    private static JsonObject GemmaStyle(bool splitPreTokenizer)
    {
        var json = Llama2Style();
        json["normalizer"] = JsonNode.Parse("""{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}""");
        json["pre_tokenizer"] = splitPreTokenizer
            ? JsonNode.Parse("""{"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": false}""")
            : null;
        json["decoder"] = JsonNode.Parse("""
            {"type": "Sequence", "decoders": [
              {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
              {"type": "ByteFallback"},
              {"type": "Fuse"}]}
            """);
        return json;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Text_gets_no_leading_meta_space_and_spaces_become_meta_spaces(bool splitPreTokenizer)
    {
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(GemmaStyle(splitPreTokenizer)));

        // "hello hello": no "▁" before the first word (no Prepend), "▁hello" for the second.
        Assert.Equal([H, Ell, O, SpaceHello], tokenizer.Encode("hello hello"));
    }

    [Fact]
    public void Unknown_characters_fall_back_to_byte_tokens_and_decode_back_exactly()
    {
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(GemmaStyle(splitPreTokenizer: false)));

        var ids = tokenizer.Encode(" a€");
        Assert.Equal([SpaceA, ByteToken(0xE2), ByteToken(0x82), ByteToken(0xAC)], ids);
        Assert.Equal(" a€", tokenizer.Decode(ids));
    }
}
