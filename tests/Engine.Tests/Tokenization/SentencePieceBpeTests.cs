using System.Text.Json.Nodes;
using InferMesh.Engine.Tokenization;
using static InferMesh.Engine.Tests.Tokenization.SentencePieceFiles;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// BPE over characters with byte fallback (HF tokenizers/src/models/bpe/model.rs, merge_word; word.rs, merge_all),
/// on the hand-built vocabulary of <see cref="SentencePieceFiles"/>. Each expected list is derived in its comment.
/// </summary>
public sealed class SentencePieceBpeTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(TokenizerFiles.Write(Llama2Style()));

    [Fact]
    public void Merges_apply_lowest_rank_first_not_left_to_right()
    {
        // "ab" -> normalizer "▁ab" -> ▁ a b. Pairs: (▁,a) rank 6, (a,b) rank 5. Rank 5 first: ▁ ab; no "▁ ab" merge.
        // Greedy left-to-right merging would have reached "▁ab" (id 275) instead.
        Assert.Equal([Space, AB], Tokenizer.Encode("ab"));
    }

    [Fact]
    public void Merges_chain_through_newly_formed_pairs()
    {
        // "hello" -> ▁ h e l l o. Rank 0 (▁,h) -> ▁h; rank 1 (l,l) -> ll; then (e,ll) rank 2 -> ell;
        // (▁h,ell) rank 3 -> ▁hell; (▁hell,o) rank 4 -> ▁hello.
        Assert.Equal([SpaceHello], Tokenizer.Encode("hello"));
    }

    [Fact]
    public void Spaces_become_the_metaspace_character_and_every_word_shares_one_merge_pass()
    {
        // Normalizer: "hello ab" -> "▁hello▁ab" (Prepend, then Replace " " -> "▁"); no pre-tokenizer, one word.
        // ▁hello forms as above; "▁ab": (a,b) rank 5 before (▁,a) rank 6 -> ▁ ab.
        Assert.Equal([SpaceHello, Space, AB], Tokenizer.Encode("hello ab"));
    }

    [Theory]
    [InlineData("x", new byte[] { 0x78 })]
    [InlineData("€", new byte[] { 0xE2, 0x82, 0xAC })]
    [InlineData("😀", new byte[] { 0xF0, 0x9F, 0x98, 0x80 })] // one character of two UTF-16 units
    public void Characters_outside_the_vocabulary_fall_back_to_their_utf8_byte_tokens(string character, byte[] utf8)
    {
        // "▁" + character; the character is not in the vocabulary, each of its bytes b is "<0xBB>" = id 3 + b.
        Assert.Equal([Space, .. utf8.Select(ByteToken)], Tokenizer.Encode(character));
    }

    [Fact]
    public void Without_byte_tokens_each_unknown_character_is_its_own_unk()
    {
        // byte_fallback is on but no "<0xXX>" exists, so both unknown characters are unk; fuse_unk is off.
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(Llama2Style(byteTokens: false)));
        Assert.Equal([Space, Unk, Unk, A], tokenizer.Encode("xya"));
    }

    [Fact]
    public void Fuse_unk_joins_consecutive_unknown_characters_into_one_unk()
    {
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(Llama2Style(byteTokens: false, fuseUnk: true)));
        Assert.Equal([Space, Unk, A, Unk], tokenizer.Encode("xyaz"));
    }

    [Fact]
    public void Without_byte_fallback_unknown_characters_are_unk_even_when_byte_tokens_exist()
    {
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(Llama2Style(byteFallback: false)));
        Assert.Equal([Space, Unk], tokenizer.Encode("x"));
    }

    [Fact]
    public void Without_unk_token_an_unknown_character_is_dropped_and_its_neighbours_merge()
    {
        // HF merge_word adds nothing for it; "▁" and "a" become neighbours and merge by rank 6 into "▁a".
        var json = Llama2Style(byteTokens: false);
        json["model"]!["unk_token"] = null;
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal([SpaceA], tokenizer.Encode("xa"));
    }

    [Fact]
    public void Merges_as_pairs_encode_like_merges_as_strings()
    {
        var pairs = TextTokenizer.Load(TokenizerFiles.Write(Llama2Style(pairMerges: true)));
        foreach (string text in new[] { "ab", "hello ab", "x€ hello", "  a  b " })
        {
            Assert.Equal(Tokenizer.Encode(text), pairs.Encode(text));
        }
    }

    [Fact]
    public void Ignore_merges_takes_a_word_that_is_in_the_vocabulary_whole()
    {
        // "▁ab" is id 275 but merging gives ▁ + ab; with ignore_merges HF looks the whole word up first.
        var json = Llama2Style();
        json["model"]!["ignore_merges"] = true;
        Assert.Equal([SpaceAB], TextTokenizer.Load(TokenizerFiles.Write(json)).Encode("ab"));
    }

    [Fact]
    public void Add_special_tokens_puts_the_template_bos_first()
    {
        Assert.Equal([Bos, SpaceHello], Tokenizer.Encode("hello", addSpecialTokens: true));
        Assert.Equal([Bos], Tokenizer.Encode("", addSpecialTokens: true)); // Prepend leaves empty text empty
    }

    [Fact]
    public void Text_after_a_special_token_gets_its_own_prepended_metaspace()
    {
        // Added tokens are split out before normalization; "hello" after "<s>" is normalized alone to "▁hello".
        Assert.Equal([SpaceHello, Bos, SpaceHello], Tokenizer.Encode("hello<s>hello"));
    }

    [Fact]
    public void Dropout_is_refused_by_name()
    {
        var json = Llama2Style();
        json["model"]!["dropout"] = 0.1;
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.Load(TokenizerFiles.Write(json)));
        Assert.Contains("dropout", error.Message);
    }

    [Fact]
    public void Merge_string_with_two_spaces_is_refused_as_hf_refuses_it()
    {
        var json = Llama2Style();
        json["model"]!["merges"]!.AsArray().Add(JsonValue.Create("▁ a b"));
        var error = Assert.Throws<InvalidDataException>(() => TextTokenizer.Load(TokenizerFiles.Write(json)));
        Assert.Contains("model.merges[8]", error.Message);
    }
}
