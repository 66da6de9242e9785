using System.Text;
using System.Text.Json;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.Serving;

/// <summary>A request with <see cref="OutputFormat.JsonObject"/> streams a JSON object, batched with unconstrained ones.</summary>
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
