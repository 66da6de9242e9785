using System.Text.Json.Nodes;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// A real SentencePiece-style tokenizer.json (Phi-3-mini's: Llama 2's 32,000-token vocabulary and merges, byte
/// fallback, normalizer Prepend("▁") + Replace(" " → "▁"), no pre-tokenizer, decoder Replace + ByteFallback + Fuse +
/// Strip) checked against ids published by others who ran Hugging Face's tokenizers on it; sources in
/// tests/fixtures/tokenizers/SOURCES.md.
/// </summary>
public sealed class SentencePieceRealTokenizerTests
{
    private static readonly string Folder = RepoPaths.Fixture("tokenizers", "phi-3-mini");
    private static readonly TextTokenizer Phi3 = TextTokenizer.Load(Path.Combine(Folder, "tokenizer.json"));

    /// <summary>
    /// Phi-3-mini with Llama 2's post-processor (TemplateProcessing "&lt;s&gt; $A", as in Llama-2-7b-hf's
    /// tokenizer.json), since the transformers expectations below are for Llama 2 with add_special_tokens.
    /// </summary>
    private static readonly TextTokenizer Llama2 = LoadWithLlama2PostProcessor();

    private static List<(string Text, int[] Ids)> LlamaCppCases { get; } = LoadLlamaCppCases();

    public static TheoryData<int> LlamaCppCaseIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < LlamaCppCases.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    /// <summary>
    /// llama.cpp's models/ggml-vocab-phi-3.gguf.inp/.out: convert_hf_to_gguf_update.py wrote
    /// <c>AutoTokenizer.from_pretrained("microsoft/Phi-3-mini-4k-instruct").encode(text, add_special_tokens=False)</c>
    /// for each text (whitespace runs, tabs and newlines, emoji with ZWJ, Khmer, Cyrillic, CJK, digits).
    /// </summary>
    [Theory]
    [MemberData(nameof(LlamaCppCaseIndexes))]
    public void Encoding_matches_the_ids_hf_tokenizers_gave_llama_cpp(int index)
    {
        var (text, ids) = LlamaCppCases[index];
        Assert.Equal(ids, Phi3.Encode(text));
    }

    /// <summary>
    /// HF decodes these ids back to the text: the Strip step removes only the space the prepended '▁' became
    /// (transformers' test_simple_encode_decode checks the same for "Hi  Hello", "生活的真谛是" and others).
    /// </summary>
    [Theory]
    [MemberData(nameof(LlamaCppCaseIndexes))]
    public void Decoding_the_llama_cpp_ids_gives_back_the_text(int index)
    {
        var (text, ids) = LlamaCppCases[index];
        Assert.Equal(text, Phi3.Decode(ids));
    }

    [Theory]
    [MemberData(nameof(LlamaCppCaseIndexes))]
    public void Streaming_the_llama_cpp_ids_gives_the_same_text_as_decoding_them_at_once(int index)
    {
        var (_, ids) = LlamaCppCases[index];
        var decoder = Phi3.CreateStreamingDecoder();
        string streamed = string.Concat(ids.Select(decoder.Push)) + decoder.Flush();
        Assert.Equal(Phi3.Decode(ids), streamed);
    }

    // transformers tests/models/llama/test_tokenization_llama.py, LlamaIntegrationTest (checkpoint
    // hf-internal-testing/llama-tokenizer-non-normalized: Llama 2's tokenizer with special tokens not normalized, as
    // in Phi-3's file): test_simple_encode_decode, test_no_differences_showcase, test_fast_special_tokens.
    [Theory]
    [InlineData("This is a test", new[] { 1, 910, 338, 263, 1243 })]
    [InlineData("生活的真谛是", new[] { 1, 29871, 30486, 31704, 30210, 30848, 235, 179, 158, 30392 })] // 谛 by byte fallback
    [InlineData("Hi  Hello", new[] { 1, 6324, 29871, 15043 })]
    [InlineData("Hi   Hello", new[] { 1, 6324, 259, 15043 })]
    [InlineData("", new[] { 1 })]
    [InlineData(" ", new[] { 1, 259 })]
    [InlineData("  ", new[] { 1, 1678 })]
    [InlineData(" Hello", new[] { 1, 29871, 15043 })]
    [InlineData("<s>", new[] { 1, 1 })]
    [InlineData("A sample test", new[] { 1, 319, 4559, 1243 })]
    public void Encoding_with_special_tokens_matches_transformers_llama_tests(string text, int[] expected)
    {
        Assert.Equal(expected, Llama2.Encode(text, addSpecialTokens: true));
    }

    // transformers test_simple_encode_decode: decode(..., skip_special_tokens=True).
    [Theory]
    [InlineData(new[] { 1, 910, 338, 263, 1243 }, "This is a test")]
    [InlineData(new[] { 1, 29871, 30486, 31704, 30210, 30848, 235, 179, 158, 30392 }, "生活的真谛是")]
    [InlineData(new[] { 1, 6324, 29871, 15043 }, "Hi  Hello")]
    [InlineData(new[] { 1, 6324, 259, 15043 }, "Hi   Hello")]
    public void Decoding_with_special_tokens_skipped_matches_transformers_llama_tests(int[] ids, string expected)
    {
        Assert.Equal(expected, Llama2.Decode(ids, skipSpecialTokens: true));
    }

    // transformers test_no_differences_decode: the leading space is stripped once, from the whole text.
    [Theory]
    [InlineData(new[] { 869 }, ".")]
    [InlineData(new[] { 30112, 869 }, "ا .")]
    public void Decoding_strips_one_leading_space_as_transformers_llama_tests_expect(int[] ids, string expected)
    {
        Assert.Equal(expected, Llama2.Decode(ids));
    }

    // transformers test_tokenizer_integration: hf-internal-testing/llama-tokenizer on TokenizerTesterMixin's third
    // sequence (the other two carry the same kind of text; this one is short enough to state here).
    [Fact]
    public void Encoding_the_quick_brown_fox_matches_transformers_integration_ids()
    {
        Assert.Equal(
            [1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889],
            Llama2.Encode("The quick brown fox jumps over the lazy dog.", addSpecialTokens: true));
    }

    [Fact]
    public void Added_tokens_are_split_out_before_the_prepend_normalizer_so_each_following_piece_gets_its_own_prefix()
    {
        // Derivation (HF encode_single_sequence): "<|user|>" (id 32010, rstrip: true in added_tokens) takes the "\n"
        // after it; the rest "Hi" is normalized on its own to "▁Hi" (id 6324 in model.vocab); "<|end|>" is 32007.
        // Decode: Replace gives "<|user|>", " Hi", "<|end|>"; Strip removes a leading space of the fused text only.
        int[] ids = [.. Phi3.Encode("<|user|>\nHi<|end|>")];
        Assert.Equal([32010, 6324, 32007], ids);
        Assert.Equal("<|user|> Hi<|end|>", Phi3.Decode(ids));
        Assert.Equal("Hi", Phi3.Decode(ids, skipSpecialTokens: true));
    }

    private static TextTokenizer LoadWithLlama2PostProcessor()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "tokenizer.json")))!.AsObject();
        json["post_processor"] = JsonNode.Parse(
            """
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
            """);
        return TextTokenizer.Load(TokenizerFiles.Write(json));
    }

    [Fact]
    public void A_turn_encoded_as_a_continuation_extends_the_history_as_encoding_the_whole_text_does()
    {
        // Llama 2 style: the normalizer prepends "▁" to every section; the suffix " world" continues "Hello", so in the
        // whole text it is "▁world", never "▁▁world".
        IReadOnlyList<int> whole = Phi3.Encode("Hello world");
        IReadOnlyList<int> history = Phi3.Encode("Hello");

        Assert.Equal(whole, [.. history, .. Phi3.Encode(" world", continuation: true)]);
        Assert.NotEqual(whole, [.. history, .. Phi3.Encode(" world")]);
    }

    [Fact]
    public void A_completion_decodes_to_what_it_adds_after_its_prompt()
    {
        // "▁fox" after "The quick brown" is " fox": the start-of-text Strip must not eat the completion's first space.
        IReadOnlyList<int> prompt = Phi3.Encode("The quick brown");
        int[] completion = Phi3.Encode("The quick brown fox jumps").Skip(prompt.Count).ToArray();
        string whole = Phi3.Decode([.. prompt, .. completion]);

        Assert.Equal(whole, Phi3.Decode(prompt) + Phi3.DecodeContinuation(completion));
        var stream = Phi3.CreateStreamingDecoder(continuation: true);
        Assert.Equal(" fox jumps", string.Concat(completion.Select(stream.Push)) + stream.Flush());
    }

    [Fact]
    public void Continuation_changes_nothing_for_byte_level_tokenizers()
    {
        var byteLevel = TextTokenizer.Load(TokenizerFiles.GoldenPath);

        Assert.Equal(byteLevel.Encode(" world and more"), byteLevel.Encode(" world and more", continuation: true));
    }

    private static List<(string Text, int[] Ids)> LoadLlamaCppCases()
    {
        string[] texts = File.ReadAllText(Path.Combine(Folder, "ggml-vocab-phi-3.gguf.inp")).Split("\n__ggml_vocab_test__\n");
        string[] lines = File.ReadAllText(Path.Combine(Folder, "ggml-vocab-phi-3.gguf.out")).Split('\n');
        Assert.Equal("", texts[^1]); // every text is followed by the separator
        var cases = new List<(string, int[])>();
        for (int i = 0; i < texts.Length - 1; i++)
        {
            int[] ids = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            cases.Add((texts[i], ids));
        }

        return cases;
    }
}
