using System.Text;
using System.Text.Json;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>response_format json_object: the sampler only ever picks tokens that keep the output a JSON object.</summary>
public sealed class JsonOutputConstraintTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(Path.Combine(RepoPaths.Golden("tiny-llama"), "tokenizer.json"));
    private static readonly DecodedTokenBytes Tokens = new(Tokenizer);
    private static readonly int[] EndTokens = [.. Tokenizer.EosTokenIds];

    [Fact]
    public void Sampling_from_random_logits_only_ever_produces_a_json_object_prefix()
    {
        var random = new Random(9);
        for (var run = 0; run < 8; run++)
        {
            var constraint = new JsonOutputConstraint(Tokens, EndTokens);
            var sampler = new TokenSampler(new SamplingParams { Temperature = 1f, Seed = run }, Tokens.Count, constraint: constraint);
            var output = new List<byte>();
            for (var step = 0; step < 60; step++)
            {
                var logits = RandomLogits(random);
                var token = sampler.Sample(logits);
                Assert.False(EndTokens.Contains(token) && !constraint.IsComplete, "end of sequence before the object closed");
                if (EndTokens.Contains(token))
                {
                    break;
                }

                output.AddRange(Tokens[token].ToArray());
            }

            var cursor = new JsonCursor();
            Assert.True(cursor.Feed(output.ToArray()), Encoding.UTF8.GetString(output.ToArray()));
        }
    }

    [Fact]
    public void Once_the_object_closes_only_end_of_sequence_remains()
    {
        var constraint = new JsonOutputConstraint(Tokens, EndTokens);
        foreach (var id in Tokenizer.Encode("{\"a\": [1, true]}"))
        {
            Assert.False(constraint.IsComplete);
            constraint.Advance(id);
        }

        Assert.True(constraint.IsComplete);
        var logits = new float[Tokens.Count];
        constraint.Mask(logits);
        var allowed = Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).ToArray();
        Assert.Equal(EndTokens.Order(), allowed);
    }

    [Fact]
    public void End_of_sequence_is_masked_while_the_object_is_open()
    {
        var constraint = new JsonOutputConstraint(Tokens, EndTokens);
        foreach (var id in Tokenizer.Encode("{\"a\": "))
        {
            constraint.Advance(id);
        }

        var logits = new float[Tokens.Count];
        foreach (var end in EndTokens)
        {
            logits[end] = 50f;
        }

        var sampler = new TokenSampler(new SamplingParams { Temperature = 0f }, Tokens.Count, constraint: constraint);
        var token = sampler.Sample(logits);
        Assert.DoesNotContain(token, EndTokens);
        var cursor = new JsonCursor();
        Assert.True(cursor.Feed("{\"a\": "u8));
        Assert.True(cursor.Feed(Tokens[token]));
    }

    [Fact]
    public void Greedy_picks_the_most_likely_token_that_keeps_the_json_valid()
    {
        var open = Tokenizer.Encode("{").Single();
        var word = Tokenizer.Encode("hello").First();
        var constraint = new JsonOutputConstraint(Tokens, EndTokens);
        var logits = new float[Tokens.Count];
        logits[word] = 10f;  // not JSON at the start
        logits[open] = 5f;
        var sampler = new TokenSampler(new SamplingParams { Temperature = 0f }, Tokens.Count, constraint: constraint);

        Assert.Equal(open, sampler.Sample(logits));
    }

    [Fact]
    public void Decoded_bytes_of_byte_level_tokens_concatenate_to_the_text()
    {
        const string text = "{\"name\": \"Zoë\", \"tags\": [\"a b\", 12.5e3]}\n — 世界";
        var bytes = Tokenizer.Encode(text).SelectMany(id => Tokens[id].ToArray()).ToArray();
        Assert.Equal(Encoding.UTF8.GetBytes(text), bytes);
    }

    [Fact]
    public void Decoded_bytes_of_sentencepiece_tokens_are_their_mid_text_bytes()
    {
        var phi3 = TextTokenizer.Load(RepoPaths.Fixture("tokenizers", "phi-3-mini", "tokenizer.json"));
        var table = new DecodedTokenBytes(phi3);
        const string text = "{\"key\": \"värde\", \"n\": [1, 2]}\n\tok 😀";
        var ids = phi3.Encode(text);
        var bytes = ids.SelectMany(id => table[id].ToArray()).ToArray();
        // SentencePiece prepends ▁ to the text, which mid-text is a space; byte-fallback pieces (the emoji) are raw bytes.
        Assert.Equal(Encoding.UTF8.GetBytes(" " + text), bytes);
    }

    [Fact]
    public void A_constrained_request_is_valid_json_when_it_stops_on_its_own()
    {
        var constraint = new JsonOutputConstraint(Tokens, EndTokens);
        var sampler = new TokenSampler(new SamplingParams { Temperature = 0f }, Tokens.Count, constraint: constraint);
        // Logits that prefer closing brackets and short values, so greedy decoding closes the object.
        var preferred = new[] { "}", "]", "1", "{", "\"", ":", "a" }.Select(s => Tokenizer.Encode(s).Single()).ToArray();
        var output = new List<byte>();
        for (var step = 0; step < 40; step++)
        {
            var logits = new float[Tokens.Count];
            for (var i = 0; i < preferred.Length; i++)
            {
                logits[preferred[i]] = preferred.Length - i;
            }

            foreach (var end in EndTokens)
            {
                logits[end] = 100f;
            }

            var token = sampler.Sample(logits);
            if (EndTokens.Contains(token))
            {
                using var document = JsonDocument.Parse(output.ToArray());
                Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
                return;
            }

            output.AddRange(Tokens[token].ToArray());
        }

        Assert.Fail($"no end of sequence after {Encoding.UTF8.GetString(output.ToArray())}");
    }

    [Fact]
    public void A_state_seen_before_reuses_its_mask_and_gives_the_same_one()
    {
        var cached = new JsonOutputConstraint(Tokens, EndTokens);
        var ids = Tokenizer.Encode("{\"a\": \"one two three four five\", \"b\": \"six seven\"}").ToArray();
        for (var step = 0; step < ids.Length; step++)
        {
            var fresh = new JsonOutputConstraint(Tokens, EndTokens);
            foreach (var seen in ids.Take(step))
            {
                fresh.Advance(seen);
            }

            var expected = new float[Tokens.Count];
            var actual = new float[Tokens.Count];
            fresh.Mask(expected);
            cached.Mask(actual);
            Assert.Equal(expected, actual);
            cached.Advance(ids[step]);
        }

        // Inside the strings every word leaves the cursor where the previous one did.
        Assert.True(cached.MasksComputed < ids.Length, $"{cached.MasksComputed} masks computed for {ids.Length} steps");
    }

    private static float[] RandomLogits(Random random)
    {
        var logits = new float[Tokens.Count];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(random.NextDouble() * 4);
        }

        return logits;
    }
}
