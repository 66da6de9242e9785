using System.Text;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>response_format json_schema: the sampler only ever picks tokens that keep the output valid against the schema.</summary>
public sealed class JsonSchemaConstraintTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(Path.Combine(RepoPaths.Golden("tiny-llama"), "tokenizer.json"));
    private static readonly DecodedTokenBytes Tokens = new(Tokenizer);
    private static readonly TokenTrie Trie = new(Tokens);
    private static readonly int[] EndTokens = [.. Tokenizer.EosTokenIds];
    private static readonly CompiledJsonSchema Pet = CompiledJsonSchema.Compile(JsonSchemaCursorTests.Pet);

    [Fact]
    public void The_trie_walk_allows_exactly_the_tokens_a_cursor_accepts_one_by_one()
    {
        var random = new Random(4);
        var constraint = new JsonSchemaConstraint(Pet, Trie, EndTokens);
        var sampler = new TokenSampler(new SamplingParams { Temperature = 1f, Seed = 4 }, Tokens.Count, constraint: constraint);
        var output = new List<byte>();
        for (var step = 0; step < 40; step++)
        {
            var logits = Biased(random);
            var masked = (float[])logits.Clone();
            constraint.Mask(masked);
            for (var id = 0; id < Tokens.Count; id++)
            {
                var cursor = new JsonSchemaCursor(Pet);
                cursor.Feed(output.ToArray());
                var expected = EndTokens.Contains(id) ? cursor.CanEnd : !Tokens[id].IsEmpty && !cursor.IsComplete && cursor.Feed(Tokens[id]);
                Assert.True(expected == !float.IsNegativeInfinity(masked[id]), $"token {id} ('{Encoding.UTF8.GetString(Tokens[id])}') after {Encoding.UTF8.GetString(output.ToArray())}: expected allowed={expected}");
            }

            var token = sampler.Sample(logits);
            if (EndTokens.Contains(token))
            {
                break;
            }

            output.AddRange(Tokens[token].ToArray());
        }
    }

    [Fact]
    public void Sampling_from_random_logits_gives_schema_valid_prefixes_and_valid_documents_when_it_stops()
    {
        var instances = SchemaInstances.Parse(JsonSchemaCursorTests.Pet);
        var random = new Random(9);
        var stopped = 0;
        for (var run = 0; run < 12; run++)
        {
            var constraint = new JsonSchemaConstraint(Pet, Trie, EndTokens);
            var sampler = new TokenSampler(new SamplingParams { Temperature = 1f, Seed = run }, Tokens.Count, constraint: constraint);
            var output = new List<byte>();
            for (var step = 0; step < 200; step++)
            {
                var token = sampler.Sample(Biased(random));
                if (EndTokens.Contains(token))
                {
                    var text = Encoding.UTF8.GetString(output.ToArray());
                    Assert.True(instances.Validate(text), $"stopped on an invalid document: {text}");
                    stopped++;
                    break;
                }

                output.AddRange(Tokens[token].ToArray());
                Assert.True(new JsonSchemaCursor(Pet).Feed(output.ToArray()), Encoding.UTF8.GetString(output.ToArray()));
            }
        }

        Assert.True(stopped >= 6, $"only {stopped} of 12 runs reached the end of a document");
    }

    [Fact]
    public void Once_the_document_is_complete_only_end_of_sequence_remains()
    {
        var constraint = new JsonSchemaConstraint(Pet, Trie, EndTokens);
        foreach (var id in Tokenizer.Encode("""{"name": "Rex", "age": 3, "kind": "dog"}"""))
        {
            Assert.False(constraint.IsComplete);
            constraint.Advance(id);
        }

        Assert.True(constraint.IsComplete);
        var logits = new float[Tokens.Count];
        constraint.Mask(logits);
        Assert.Equal(EndTokens.Order(), Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])));
    }

    [Fact]
    public void Greedy_picks_the_most_likely_token_the_schema_allows()
    {
        var constraint = new JsonSchemaConstraint(Pet, Trie, EndTokens);
        foreach (var id in Tokenizer.Encode("""{"age": """))
        {
            constraint.Advance(id);
        }

        var quote = Tokenizer.Encode("\"").Single();
        var seven = Tokenizer.Encode("7").Single();
        var logits = new float[Tokens.Count];
        logits[quote] = 10f;  // a string, but age is an integer
        logits[seven] = 5f;
        var sampler = new TokenSampler(new SamplingParams { Temperature = 0f }, Tokens.Count, constraint: constraint);

        Assert.Equal(seven, sampler.Sample(logits));
    }

    [Fact]
    public void A_step_allocates_nothing_once_a_string_was_masked()
    {
        // Inside a string nearly every token fits, so that walk reaches the trie's full depth and creates every scratch cursor.
        var constraint = new JsonSchemaConstraint(Pet, Trie, EndTokens);
        foreach (var id in Tokenizer.Encode("""{"name": "Rex"""))
        {
            constraint.Advance(id);
        }

        var logits = new float[Tokens.Count];
        constraint.Mask(logits);
        var next = Tokenizer.Encode("\", \"tags\": [\"a\", ").ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var id in next)
        {
            constraint.Advance(id);
            constraint.Mask(logits);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    /// <summary>Random logits that favour quotes, closing brackets and commas (and end tokens), so documents finish.</summary>
    private static float[] Biased(Random random)
    {
        var logits = new float[Tokens.Count];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(random.NextDouble() * 4);
            if (Tokens[i].IndexOfAny("\"}],"u8) >= 0)
            {
                logits[i] += 4f;
            }
        }

        foreach (var end in EndTokens)
        {
            logits[end] = 20f;
        }

        return logits;
    }
}
