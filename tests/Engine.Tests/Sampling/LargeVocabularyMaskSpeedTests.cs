using InferMesh.Engine.Sampling;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>
/// The JSON masks at a ~100k vocabulary (DeepSeek-LLM's 102,400 byte-level BPE tokens), where a step's mask walks three
/// times the entries of Phi-3's 32k. The tokenizer is not a fixture (3.8 MB): tools/fixtures/gguf_vocab_to_tokenizer_json.py
/// builds it from llama.cpp's models/ggml-vocab-deepseek-llm.gguf; set INFERMESH_LARGE_TOKENIZER to its path.
/// </summary>
public sealed class LargeVocabularyMaskSpeedTests(ITestOutputHelper output)
{
    private const string Document = """{"name": "Rex the third", "age": 11, "kind": "dog", "tags": ["good", "loud"], "owner": {"first": "Ann", "alive": true}, "shape": {"w": 2.5, "h": 40}}""";

    [Fact]
    public void Masking_a_100k_vocabulary_per_step_is_measured()
    {
        var path = Environment.GetEnvironmentVariable("INFERMESH_LARGE_TOKENIZER");
        Assert.SkipWhen(string.IsNullOrEmpty(path), "INFERMESH_LARGE_TOKENIZER is not set (see the class comment for how to build the 100k tokenizer)");
        var tokenizer = TextTokenizer.Load(path!);
        var tokens = new DecodedTokenBytes(tokenizer);
        var trie = new TokenTrie(tokens);
        var schema = CompiledJsonSchema.Compile(JsonSchemaCursorTests.Pet);
        int[] ends = [.. tokenizer.EosTokenIds];
        var ids = tokenizer.Encode(Document, addSpecialTokens: false).ToArray();

        var jsonObject = MaskTiming.PerStep(() => new JsonOutputConstraint(tokens, ends), ids, tokens.Count);
        var jsonSchema = MaskTiming.PerStep(() => new JsonSchemaConstraint(schema, trie, ends), ids, tokens.Count);

        output.WriteLine($"{tokens.Count} ids, {trie.NodeCount} trie nodes, {ids.Length} steps: json_object {jsonObject:F2} ms/step, json_schema {jsonSchema:F2} ms/step (best of 3)");
        Assert.True(jsonObject < 75 && jsonSchema < 75, $"json_object {jsonObject:F1} ms, json_schema {jsonSchema:F1} ms per step");
    }
}
