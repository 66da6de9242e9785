using System.Text;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// Streaming decode over arbitrary bytes: the golden vocabulary has a token for every single byte, so any UTF-8
/// (valid or not) can be fed one byte per token.
/// </summary>
public sealed class StreamingDecoderTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(TokenizerFiles.GoldenPath);

    [Fact]
    public void Invalid_utf8_becomes_one_replacement_per_maximal_subpart()
    {
        // The Unicode Standard, chapter 3, Table 3-8 "Use of U+FFFD in UTF-8 Conversion" (the practice
        // Rust's String::from_utf8_lossy follows, which HF's ByteLevel decoder calls).
        byte[] bytes = [0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64];
        Assert.Equal("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd", Tokenizer.Decode(ByteTokens(bytes)));
        Assert.Equal("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd", Stream(ByteTokens(bytes)));
    }

    [Fact]
    public void Truncated_character_at_the_end_is_one_replacement_as_in_rust()
    {
        // Rust's documentation of String::from_utf8_lossy: b"Hello \xF0\x90\x80World" gives "Hello �World".
        byte[] bytes = [.. "Hello "u8, 0xF0, 0x90, 0x80, .. "World"u8];
        Assert.Equal("Hello \uFFFDWorld", Tokenizer.Decode(ByteTokens(bytes)));
        Assert.Equal("Hello \uFFFDWorld", Stream(ByteTokens(bytes)));
    }

    [Fact]
    public void Flush_releases_a_held_back_partial_character_as_a_replacement()
    {
        var decoder = Tokenizer.CreateStreamingDecoder();
        foreach (int id in ByteTokens([0x41, 0xF0, 0x9F]))
        {
            decoder.Push(id);
        }

        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("A\uFFFD", Tokenizer.Decode(ByteTokens([0x41, 0xF0, 0x9F])));
        Assert.Equal("z", decoder.Push(ByteTokens([0x7A])[0])); // the decoder starts afresh after a flush
    }

    [Fact]
    public void Random_bytes_stream_to_the_same_text_as_a_one_shot_decode()
    {
        var random = new Random(11);
        byte[] interesting = [0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0];
        for (int trial = 0; trial < 500; trial++)
        {
            var bytes = new byte[random.Next(0, 24)];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = random.Next(3) == 0 ? (byte)random.Next(256) : interesting[random.Next(interesting.Length)];
            }

            int[] ids = ByteTokens(bytes);
            Assert.Equal(Encoding.UTF8.GetString(bytes), Tokenizer.Decode(ids));
            Assert.Equal(Tokenizer.Decode(ids), Stream(ids));
        }
    }

    [Fact]
    public void Streaming_text_split_anywhere_reassembles_exactly()
    {
        string text = "Unicode: café naïve — 東京 🚀 ü 日本語のテキスト 🙂🙃 𠀀";
        int[] ids = ByteTokens(Encoding.UTF8.GetBytes(text)); // one byte per token: every split point is exercised
        var decoder = Tokenizer.CreateStreamingDecoder();
        var pieces = ids.Select(decoder.Push).ToList();
        Assert.All(pieces, p => Assert.DoesNotContain('\uFFFD', p));
        Assert.Equal(text, string.Concat(pieces) + decoder.Flush());
    }

    [Fact]
    public void Push_into_a_span_allocates_nothing()
    {
        int[] ids = Tokenizer.Encode("The quick brown fox 東京 🚀 jumps over the lazy dog. ").ToArray();
        var decoder = Tokenizer.CreateStreamingDecoder();
        Span<char> buffer = stackalloc char[decoder.MaxCharsPerPush];
        foreach (int id in ids)
        {
            decoder.Push(id, buffer); // warm up
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int written = 0;
        for (int round = 0; round < 100; round++)
        {
            foreach (int id in ids)
            {
                written += decoder.Push(id, buffer);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(written > 0);
    }

    private static string Stream(int[] ids)
    {
        var decoder = Tokenizer.CreateStreamingDecoder();
        return string.Concat(ids.Select(decoder.Push)) + decoder.Flush();
    }

    /// <summary>The single-byte token for each byte, found through GPT-2's byte alphabet.</summary>
    private static int[] ByteTokens(byte[] bytes) =>
        bytes.Select(b => Tokenizer.TokenToId(ByteLevelAlphabet.ByteToChar[b].ToString()) ?? throw new InvalidOperationException($"no token for byte {b}")).ToArray();
}
