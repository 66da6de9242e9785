using System.Text.Json.Nodes;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// Added tokens split the text before BPE, with the matching rules of HF's AddedVocabulary
/// (tokenizers/src/tokenizer/added_vocabulary.rs and its documented AddedToken options).
/// </summary>
public sealed class AddedTokenTests
{
    private static readonly TextTokenizer Golden = TextTokenizer.Load(TokenizerFiles.GoldenPath);

    [Fact]
    public void Special_tokens_in_text_split_it_and_become_their_ids()
    {
        Assert.Equal([.. Golden.Encode("a"), 2, .. Golden.Encode(" b")], Golden.Encode("a<|im_end|> b"));
        Assert.Equal([1, 2, 1], Golden.Encode("<|im_start|><|im_end|><|im_start|>"));
    }

    [Fact]
    public void Longest_added_token_wins_at_the_leftmost_position()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        int short_ = TokenizerFiles.AddToken(json, "<tool>", special: false, normalized: false);
        int long_ = TokenizerFiles.AddToken(json, "<tool><call>", special: false, normalized: false);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal([.. Golden.Encode("x"), long_, short_, .. Golden.Encode("<call")], tokenizer.Encode("x<tool><call><tool><call"));
    }

    [Fact]
    public void Lstrip_and_rstrip_swallow_the_white_space_beside_the_token()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        int left = TokenizerFiles.AddToken(json, "<L>", special: true, lstrip: true);
        int right = TokenizerFiles.AddToken(json, "<R>", special: true, rstrip: true);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal([.. Golden.Encode("hello"), left, .. Golden.Encode(" x")], tokenizer.Encode("hello \t <L> x"));
        Assert.Equal([.. Golden.Encode("hello "), right, .. Golden.Encode("x")], tokenizer.Encode("hello <R> \n x"));
    }

    [Fact]
    public void Single_word_tokens_match_only_between_non_word_characters()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        int ice = TokenizerFiles.AddToken(json, "ice", special: false, singleWord: true, normalized: false);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal([ice, .. Golden.Encode(" cream")], tokenizer.Encode("ice cream"));
        Assert.Equal(Golden.Encode("nice"), tokenizer.Encode("nice"));
        Assert.Equal(Golden.Encode("iced"), tokenizer.Encode("iced"));
    }

    [Fact]
    public void Normalized_added_tokens_match_the_normalized_text()
    {
        // added_vocabulary.rs: a normalized token "yesterday" is found in "Yesterday" when the normalizer lowercases.
        var json = TokenizerFiles.LoadGoldenJson();
        json["normalizer"] = new JsonObject { ["type"] = "Lowercase" };
        int hello = TokenizerFiles.AddToken(json, "Hello", special: false, normalized: true);
        int raw = TokenizerFiles.AddToken(json, "World", special: false, normalized: false);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal([hello, .. Golden.Encode(" there")], tokenizer.Encode("HELLO There"));
        Assert.Equal(Golden.Encode("world"), tokenizer.Encode("world")); // raw tokens match the original text only
        Assert.Equal([raw], tokenizer.Encode("World"));
    }

    [Fact]
    public void Non_special_added_tokens_survive_skip_special_tokens()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        int tool = TokenizerFiles.AddToken(json, "<tool_call>", special: false, normalized: false);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        var ids = tokenizer.Encode("<|im_start|><tool_call>{}");
        Assert.Equal([1, tool, .. Golden.Encode("{}")], ids);
        Assert.Equal("<tool_call>{}", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.False(tokenizer.IsSpecial(tool));
    }

    [Fact]
    public void Added_token_text_with_characters_outside_the_byte_alphabet_decodes_as_its_utf8()
    {
        // HF's ByteLevel decoder maps a token through the byte alphabet only if every character is in it;
        // "｜" and "▁" are not, so the token's own UTF-8 is used (DeepSeek-style special tokens).
        var json = TokenizerFiles.LoadGoldenJson();
        int begin = TokenizerFiles.AddToken(json, "<｜begin▁of▁sentence｜>", special: true);
        var tokenizer = TextTokenizer.Load(TokenizerFiles.Write(json));
        Assert.Equal("<｜begin▁of▁sentence｜>hi", tokenizer.Decode([begin, .. Golden.Encode("hi")]));
        Assert.Equal([begin, .. Golden.Encode("hi")], tokenizer.Encode("<｜begin▁of▁sentence｜>hi"));
    }
}
