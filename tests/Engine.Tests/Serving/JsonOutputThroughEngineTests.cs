using System.Text;
using System.Text.Json;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;
using InferMesh.Engine.Tests.Sampling;

namespace InferMesh.Engine.Tests.Serving;

/// <summary>
/// A request with <see cref="OutputFormat.JsonObject"/> streams a JSON object, and one with
/// <see cref="OutputFormat.JsonSchema"/> a document valid against its schema, batched with unconstrained ones.
/// </summary>
public sealed class JsonOutputThroughEngineTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    public async Task Constrained_output_is_a_json_object_prefix_and_parses_when_it_stops(float temperature)
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var prompt = engine.Tokenizer.Encode("Reply in JSON: the quick brown fox");
        var constrained = new GenerationRequest
        {
            PromptTokenIds = prompt,
            MaxTokens = 48,
            Sampling = new SamplingParams { Temperature = temperature, Seed = 3 },
            OutputFormat = OutputFormat.JsonObject,
        };
        var plain = constrained with { OutputFormat = OutputFormat.Text, IgnoreEos = true };
        var runs = await Task.WhenAll(Collect(engine, constrained), Collect(engine, plain));

        var (text, finish) = runs[0];
        var cursor = new JsonCursor();
        Assert.True(cursor.Feed(Encoding.UTF8.GetBytes(text)), $"not a JSON prefix: {text}");
        if (finish == FinishReason.Stop)
        {
            using var document = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
        else
        {
            Assert.Equal(FinishReason.Length, finish);
        }

        Assert.False(new JsonCursor().Feed(Encoding.UTF8.GetBytes(runs[1].Text)) && runs[1].Text.StartsWith('{'), "the unconstrained neighbour was constrained too");
    }

    [Theory]
    [InlineData(0f, 1)]
    [InlineData(1f, 2)]
    [InlineData(1f, 3)]
    public async Task Schema_constrained_output_is_a_valid_prefix_and_validates_when_it_stops(float temperature, int seed)
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var schema = CompiledJsonSchema.Compile(JsonSchemaCursorTests.Pet);
        var constrained = new GenerationRequest
        {
            PromptTokenIds = engine.Tokenizer.Encode("Reply in JSON: a pet"),
            MaxTokens = 96,
            Sampling = new SamplingParams { Temperature = temperature, Seed = seed },
            OutputFormat = OutputFormat.JsonSchema,
            OutputSchema = schema,
        };
        var runs = await Task.WhenAll(Collect(engine, constrained), Collect(engine, constrained with { OutputFormat = OutputFormat.Text, OutputSchema = null, IgnoreEos = true }));

        var (text, finish) = runs[0];
        TestContext.Current.TestOutputHelper?.WriteLine($"{finish}: {text}");
        Assert.True(new JsonSchemaCursor(schema).Feed(Encoding.UTF8.GetBytes(text)), $"not a prefix of a valid document: {text}");
        if (finish == FinishReason.Stop)
        {
            Assert.True(SchemaInstances.Parse(JsonSchemaCursorTests.Pet).Validate(text), $"stopped on an invalid document: {text}");
        }
        else
        {
            Assert.Equal(FinishReason.Length, finish);
        }

        Assert.False(new JsonSchemaCursor(schema).Feed(Encoding.UTF8.GetBytes(runs[1].Text)), "the unconstrained neighbour was constrained too");
    }

    [Fact]
    public async Task Schema_constrained_output_nudged_to_close_stops_on_a_valid_document()
    {
        // The tiny model left alone spends its budget on whitespace and long strings; biases towards quotes, commas,
        // closing braces and end of sequence make it finish, so the whole path to a stop is exercised.
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var bias = new[] { "\"", ",", "}", "1" }.Select(s => engine.Tokenizer.Encode(s).Last()).Distinct().ToDictionary(id => id, _ => 12f);
        foreach (var eos in engine.EosTokenIds)
        {
            bias[eos] = 100f;
        }

        var request = new GenerationRequest
        {
            PromptTokenIds = engine.Tokenizer.Encode("Reply in JSON: a pet"),
            MaxTokens = 200,
            Sampling = new SamplingParams { Temperature = 1f, Seed = 5, LogitBias = bias },
            OutputFormat = OutputFormat.JsonSchema,
            OutputSchema = CompiledJsonSchema.Compile(JsonSchemaCursorTests.Pet),
        };

        var (text, finish) = await Collect(engine, request);

        Assert.Equal(FinishReason.Stop, finish);
        Assert.True(SchemaInstances.Parse(JsonSchemaCursorTests.Pet).Validate(text), $"stopped on an invalid document: {text}");
    }

    [Fact]
    public async Task Json_schema_without_a_compiled_schema_is_refused()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 1 });
        var request = new GenerationRequest { PromptTokenIds = engine.Tokenizer.Encode("hi"), OutputFormat = OutputFormat.JsonSchema };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Collect(engine, request));

        Assert.Contains("OutputSchema", error.Message, StringComparison.Ordinal);
    }

    private static async Task<(string Text, FinishReason Finish)> Collect(InferenceEngine engine, GenerationRequest request)
    {
        var text = new StringBuilder();
        var finish = FinishReason.None;
        await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            text.Append(e.TextDelta);
            finish = e.Finish == FinishReason.None ? finish : e.Finish;
        }

        return (text.ToString(), finish);
    }
}
