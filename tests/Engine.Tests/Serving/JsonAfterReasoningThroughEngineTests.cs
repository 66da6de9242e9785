using System.Text;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.Serving;

/// <summary>
/// JSON output of a reasoning model through the engine (<see cref="GenerationRequest.OutputConstraintAfter"/>): whatever
/// is sampled, the reply either opens a think block — and whatever follows its close is a JSON object prefix — or is a
/// JSON object prefix from its first character.
/// </summary>
public sealed class JsonAfterReasoningThroughEngineTests
{
    [Theory]
    [InlineData(1, 0f)]
    [InlineData(2, 0f)]
    [InlineData(3, 6f)]
    [InlineData(4, 6f)]
    [InlineData(5, 12f)]
    public async Task A_reply_that_may_reason_first_is_json_after_its_reasoning_or_from_its_start(int seed, float openingBias)
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var bias = openingBias == 0f ? null : engine.Tokenizer.Encode("<", addSpecialTokens: false, continuation: true).ToDictionary(id => id, _ => openingBias);
        var request = new GenerationRequest
        {
            PromptTokenIds = engine.Tokenizer.Encode("Reply in JSON: the quick brown fox"),
            MaxTokens = 48,
            Sampling = new SamplingParams { Temperature = 1.5f, Seed = seed, LogitBias = bias },
            OutputFormat = OutputFormat.JsonObject,
            OutputConstraintAfter = "</think>",
            OutputConstraintOpening = "<think>",
        };

        var text = new StringBuilder();
        await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            text.Append(e.TextDelta);
        }

        var reply = text.ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(reply);
        var start = reply.TrimStart(' ', '\t', '\n', '\r');
        if (start.StartsWith('<'))
        {
            Assert.True(start.StartsWith("<think>", StringComparison.Ordinal) || "<think>".StartsWith(start, StringComparison.Ordinal), $"opened something else: {reply}");
            var close = reply.IndexOf("</think>", StringComparison.Ordinal);
            if (close >= 0)
            {
                Assert.True(new JsonCursor().Feed(Encoding.UTF8.GetBytes(reply[(close + "</think>".Length)..])), $"not JSON after the reasoning: {reply}");
            }
        }
        else
        {
            Assert.True(new JsonCursor().Feed(Encoding.UTF8.GetBytes(reply)), $"not a JSON prefix: {reply}");
        }
    }
}
