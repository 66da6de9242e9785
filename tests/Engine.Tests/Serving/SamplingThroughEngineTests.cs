using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.Serving;

public sealed class SamplingThroughEngineTests
{
    private static GenerationRequest Sampled(long seed) => new()
    {
        PromptTokenIds = [11, 12, 13, 14],
        MaxTokens = 12,
        IgnoreEos = true,
        Sampling = new SamplingParams { Temperature = 1.0f, TopP = 0.95f, Seed = seed },
    };

    [Fact]
    public async Task Same_seed_gives_the_same_tokens_even_when_batched_with_others()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var (alone, _) = await EngineTestRuns.RunAsync(engine, Sampled(42), TestContext.Current.CancellationToken);
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => EngineTestRuns.RunAsync(engine, i == 2 ? Sampled(42) : Sampled(100 + i), TestContext.Current.CancellationToken)));
        Assert.Equal(alone, runs[2].Tokens);
        Assert.NotEqual(alone, runs[0].Tokens);
    }

    [Fact]
    public async Task Logprobs_are_reported_per_token_with_sorted_alternatives()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-qwen2"), new EngineOptions { Threads = 2 });
        var request = new GenerationRequest { PromptTokenIds = [5, 6, 7], MaxTokens = 4, IgnoreEos = true, Sampling = SamplingParams.Greedy with { Logprobs = true, TopLogprobs = 3 } };
        var events = new List<TokenEvent>();
        await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            events.Add(e);
        }

        var tokens = events.Where(e => e.TokenId >= 0).ToList();
        Assert.Equal(4, tokens.Count);
        foreach (var t in tokens)
        {
            Assert.NotNull(t.Logprob);
            Assert.Equal(t.TokenId, t.Logprob!.TokenId);
            Assert.Equal(3, t.Logprob.TopAlternatives.Count);
            Assert.Equal(t.TokenId, t.Logprob.TopAlternatives[0].TokenId); // greedy picks the most likely
            Assert.True(t.Logprob.TopAlternatives[0].Logprob >= t.Logprob.TopAlternatives[1].Logprob);
            Assert.True(t.Logprob.Logprob <= 0);
        }
    }

    [Fact]
    public async Task Stop_string_ends_generation_and_is_not_emitted()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var prompt = engine.Tokenizer.Encode("The quick brown fox");
        var full = new List<string>();
        await foreach (var e in engine.GenerateAsync(new GenerationRequest { PromptTokenIds = prompt, MaxTokens = 24, IgnoreEos = true }, TestContext.Current.CancellationToken))
        {
            full.Add(e.TextDelta);
        }

        var text = string.Concat(full);
        var stop = text.Substring(text.Length / 2, 3);
        var stopped = new List<TokenEvent>();
        await foreach (var e in engine.GenerateAsync(new GenerationRequest { PromptTokenIds = prompt, MaxTokens = 24, IgnoreEos = true, StopStrings = [stop] }, TestContext.Current.CancellationToken))
        {
            stopped.Add(e);
        }

        var emitted = string.Concat(stopped.Select(e => e.TextDelta));
        Assert.Equal(FinishReason.Stop, stopped[^1].Finish);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], emitted);
    }
}
