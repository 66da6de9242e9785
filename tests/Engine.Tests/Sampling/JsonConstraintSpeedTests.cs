using System.Diagnostics;
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

        var jsonObject = PerStep(() => new JsonOutputConstraint(tokens, ends), ids, tokens.Count);
        var jsonSchema = PerStep(() => new JsonSchemaConstraint(schema, trie, ends), ids, tokens.Count);

        output.WriteLine($"phi-3 ({tokens.Count} ids, {trie.NodeCount} trie nodes), {ids.Length} steps: json_object {jsonObject:F2} ms/step, json_schema {jsonSchema:F2} ms/step (best of 3)");
        Assert.True(jsonObject < 25 && jsonSchema < 25, $"json_object {jsonObject:F1} ms, json_schema {jsonSchema:F1} ms per step");
    }

    private static double PerStep(Func<IOutputConstraint> create, int[] ids, int vocabulary)
    {
        var logits = new float[vocabulary];
        var best = double.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var constraint = create();
            var watch = new Stopwatch();
            foreach (var id in ids)
            {
                Array.Clear(logits);
                watch.Start();
                constraint.Mask(logits);
                watch.Stop();
                Assert.False(float.IsNegativeInfinity(logits[id]), $"token {id} of the document was masked");
                constraint.Advance(id);
            }

            best = Math.Min(best, watch.Elapsed.TotalMilliseconds / ids.Length);
        }

        return best;
    }
}
