using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.Serving;

/// <summary>
/// Prompt logprobs (vLLM's prompt_logprobs; what evaluation harnesses read through echo + logprobs): for every prompt
/// token, its log-probability given the tokens before it. The oracle is the engine's own next-token logprob, already
/// specified elsewhere: a request with the prompt cut before position p, forced to pick token p by a +100 logit bias,
/// reports the raw (unbiased) log-probability of that token.
/// </summary>
public sealed class PromptLogprobsTests
{
    // Longer than the 64 prompt rows one step keeps logits for, so the prompt spans several steps.
    private static readonly int[] Prompt = Enumerable.Range(0, 150).Select(i => ((i * 37) + 11) % 2000 + 3).ToArray();

    private static InferenceEngine Engine() => InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });

    [Fact]
    public async Task Each_prompt_token_gets_the_logprob_the_model_gives_it_after_the_tokens_before_it()
    {
        await using var engine = Engine();
        var prompt = await PromptLogprobsOf(engine, Prompt, top: 2);

        Assert.Equal(Prompt.Length, prompt.Count);
        Assert.Null(prompt[0]);
        foreach (var p in new[] { 1, 2, 63, 64, 65, 128, 149 })
        {
            var expected = await ForcedLogprob(engine, Prompt[..p], Prompt[p]);
            var actual = prompt[p]!;
            Assert.Equal(Prompt[p], actual.TokenId);
            Assert.Equal(expected.Logprob, actual.Logprob, 4);
            Assert.Equal(expected.TopAlternatives.Select(a => a.TokenId), actual.TopAlternatives.Select(a => a.TokenId));
        }
    }

    [Fact]
    public async Task A_prompt_already_in_the_prefix_cache_still_reports_every_position()
    {
        await using var engine = Engine();
        var first = await PromptLogprobsOf(engine, Prompt, top: 0); // publishes the prompt's blocks to the prefix cache

        var again = await PromptLogprobsOf(engine, Prompt, top: 0);

        Assert.Equal(first.Select(e => e?.Logprob), again.Select(e => e?.Logprob));
    }

    [Fact]
    public async Task A_stop_token_as_the_first_token_still_delivers_the_prompt_logprobs_and_its_own_entry()
    {
        await using var engine = Engine();
        const int Eos = 2; // tiny-llama's eos_token_id

        var events = await Generate(engine, new GenerationRequest
        {
            PromptTokenIds = Prompt[..20],
            MaxTokens = 4,
            PromptLogprobs = 1,
            Sampling = SamplingParams.Greedy with { Logprobs = true, LogitBias = new Dictionary<int, float> { [Eos] = 100f } },
        });

        var token = Assert.Single(events, e => e.TokenId >= 0);
        Assert.Equal(Eos, token.TokenId);
        Assert.Equal(20, token.PromptLogprobs!.Count);
        Assert.NotNull(token.Logprob);
        Assert.Equal(FinishReason.Stop, events[^1].Finish);
    }

    [Fact]
    public async Task Prompt_logprobs_are_the_same_when_the_request_shares_steps_with_other_sequences()
    {
        await using var engine = Engine();
        var alone = await PromptLogprobsOf(engine, Prompt, top: 1);

        var busy = Generate(engine, new GenerationRequest { PromptTokenIds = Prompt[..30], MaxTokens = 60, IgnoreEos = true });
        var other = PromptLogprobsOf(engine, Prompt[5..], top: 1);
        var shared = await PromptLogprobsOf(engine, Prompt, top: 1);
        await busy;
        await other;

        Assert.Equal(alone.Select(e => e?.Logprob), shared.Select(e => e?.Logprob));
        Assert.Equal(alone.Select(e => e?.TopAlternatives.Single().TokenId), shared.Select(e => e?.TopAlternatives.Single().TokenId));
    }

    [Fact]
    public async Task Prompt_logprobs_beyond_20_alternatives_are_refused_by_name()
    {
        await using var engine = Engine();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Generate(engine, new GenerationRequest { PromptTokenIds = Prompt, PromptLogprobs = 21 }));
        Assert.Equal("prompt_logprobs", error.ParamName);
    }

    private static async Task<IReadOnlyList<TokenLogprob?>> PromptLogprobsOf(InferenceEngine engine, int[] prompt, int top)
    {
        var events = await Generate(engine, new GenerationRequest { PromptTokenIds = prompt, MaxTokens = 2, IgnoreEos = true, PromptLogprobs = top });
        Assert.Single(events, e => e.PromptLogprobs is not null);
        return events.First(e => e.TokenId >= 0).PromptLogprobs!;
    }

    private static async Task<TokenLogprob> ForcedLogprob(InferenceEngine engine, int[] prefix, int token)
    {
        var events = await Generate(engine, new GenerationRequest
        {
            PromptTokenIds = prefix,
            MaxTokens = 1,
            IgnoreEos = true,
            Sampling = SamplingParams.Greedy with { Logprobs = true, TopLogprobs = 2, LogitBias = new Dictionary<int, float> { [token] = 100f } },
        });
        var first = events.First(e => e.TokenId >= 0);
        Assert.Equal(token, first.TokenId);
        return first.Logprob!;
    }

    private static async Task<List<TokenEvent>> Generate(InferenceEngine engine, GenerationRequest request)
    {
        var events = new List<TokenEvent>();
        await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            events.Add(e);
        }

        return events;
    }
}
