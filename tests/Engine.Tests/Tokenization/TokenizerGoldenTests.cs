using System.Text.Json;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// Every case of tokenizer_golden.json (made with HF tokenizers): ids and decoded text exact. The golden decode is
/// tokenizers' <c>Tokenizer.decode(ids)</c>, whose default skips special tokens.
/// </summary>
public sealed class TokenizerGoldenTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(Path.Combine(RepoPaths.Golden("tiny-llama"), "tokenizer.json"));

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Golden.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    private static List<(string Text, int[] Ids, string Decoded)> Golden { get; } = LoadGolden();

    private static List<(string, int[], string)> LoadGolden()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "fixtures", "golden", "tokenizer_golden.json")));
        return doc.RootElement.EnumerateArray().Select(e => (e.GetProperty("text").GetString()!, e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(), e.GetProperty("decoded").GetString()!)).ToList();
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
    public void Decoding_matches_hf_tokenizers(int index)
    {
        var (_, ids, decoded) = Golden[index];
        Assert.Equal(decoded, Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_deltas_concatenate_to_the_full_decode(int index)
    {
        var (_, ids, decoded) = Golden[index];
        var stream = Tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        var text = string.Concat(ids.Select(stream.Push)) + stream.Flush();
        Assert.Equal(decoded, text);
    }

    [Fact]
    public void Streaming_never_emits_half_a_character()
    {
        var ids = Tokenizer.Encode("東京 🚀 café");
        var stream = Tokenizer.CreateStreamingDecoder();
        foreach (var id in ids)
        {
            var delta = stream.Push(id);
            Assert.DoesNotContain('\uFFFD', delta);
            Assert.False(delta.Length > 0 && char.IsHighSurrogate(delta[^1]), "a delta ended inside a surrogate pair");
        }
    }

    [Fact]
    public void Special_tokens_in_text_become_their_ids()
    {
        var ids = Tokenizer.Encode("<|im_start|>user");
        Assert.Equal(1, ids[0]);
        Assert.True(Tokenizer.IsSpecial(1));
    }

    [Fact]
    public void Skipping_special_tokens_drops_them_from_decoded_text()
    {
        var ids = Tokenizer.Encode("<|im_start|>hi<|im_end|>");
        Assert.Equal("hi", Tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<|im_start|>hi<|im_end|>", Tokenizer.Decode(ids));
    }

    [Fact]
    public void Eos_comes_from_tokenizer_config()
    {
        Assert.Equal("<|im_end|>", Tokenizer.EosToken);
        Assert.Equal([2], Tokenizer.EosTokenIds);
    }

    [Fact]
    public void Unknown_id_is_refused_with_the_id()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([999_999]));
        Assert.Contains("999999", e.Message);
    }
}
