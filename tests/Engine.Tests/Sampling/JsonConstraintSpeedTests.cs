using InferMesh.Engine.Sampling;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>
/// The JSON masks run over the whole vocabulary before every constrained token, on the host. Measured with Phi-3's
/// 32k vocabulary along one document (average per step, best of three runs since test classes share the machine);
/// the bound is loose, the printed numbers are what to read.
/// </summary>
public sealed class JsonConstraintSpeedTests(ITestOutputHelper output)
{
    private const string Document = """{"name": "Rex the third", "age": 11, "kind": "dog", "tags": ["good", "loud"], "owner": {"first": "Ann", "alive": true}, "shape": {"w": 2.5, "h": 40}}""";

    private static readonly TextTokenizer Phi3 = TextTokenizer.Load(RepoPaths.Fixture("tokenizers", "phi-3-mini", "tokenizer.json"));

    [Fact]
    public void Masking_a_32k_vocabulary_takes_a_few_milliseconds_per_step()
    {
        var tokens = new DecodedTokenBytes(Phi3);
        var trie = new TokenTrie(tokens);
        var schema = CompiledJsonSchema.Compile(JsonSchemaCursorTests.Pet);
        int[] ends = [.. Phi3.EosTokenIds];
        // SentencePiece starts the text with "▁", which mid-output is a space: leading whitespace, which JSON allows.
        var ids = Phi3.Encode(Document).ToArray();

        var jsonObject = MaskTiming.PerStep(() => new JsonOutputConstraint(tokens, ends), ids, tokens.Count);
        var jsonSchema = MaskTiming.PerStep(() => new JsonSchemaConstraint(schema, trie, ends), ids, tokens.Count);

        output.WriteLine($"phi-3 ({tokens.Count} ids, {trie.NodeCount} trie nodes), {ids.Length} steps: json_object {jsonObject:F2} ms/step, json_schema {jsonSchema:F2} ms/step (best of 3)");
        Assert.True(jsonObject < 25 && jsonSchema < 25, $"json_object {jsonObject:F1} ms, json_schema {jsonSchema:F1} ms per step");
    }
}
