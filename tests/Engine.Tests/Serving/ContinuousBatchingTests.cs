using InferMesh.Engine.Serving;
using InferMesh.Engine.Verification;

namespace InferMesh.Engine.Tests.Serving;

public sealed class ContinuousBatchingTests
{
    private static GoldenReference Reference(string model) => GoldenReference.Load(Path.Combine(RepoPaths.Golden(model), "reference.json"));

    private static GenerationRequest Greedy(GoldenPrompt p) => new() { PromptTokenIds = p.Ids, MaxTokens = p.Greedy.Count, IgnoreEos = true };

    [Fact]
    public async Task Preemption_under_a_tiny_block_budget_still_yields_the_reference_greedy_tokens()
    {
        var reference = Reference("tiny-llama");
        var longest = reference.Prompts.Max(p => p.Ids.Count + p.Greedy.Count);
        var blocks = ((longest + 15) / 16) + 4; // the longest fits alone, not with all others
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2, KvCacheBlocks = blocks, EnablePrefixCaching = false });

        var runs = await Task.WhenAll(reference.Prompts.Select(p => EngineTestRuns.RunAsync(engine, Greedy(p), TestContext.Current.CancellationToken)));

        for (var i = 0; i < runs.Length; i++)
        {
            Assert.Equal(reference.Prompts[i].Greedy, runs[i].Tokens);
        }

        Assert.True(engine.Stats.Preemptions > 0, "the block budget should have forced at least one preemption");
        Assert.Equal(0, engine.Stats.UsedKvBlocks);
    }

    [Fact]
    public async Task Cancelled_sequence_returns_all_its_blocks()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2, KvCacheBlocks = 64 });
        using var cts = new CancellationTokenSource();
        var request = new GenerationRequest { PromptTokenIds = Enumerable.Range(5, 100).ToArray(), MaxTokens = 500, IgnoreEos = true };
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in engine.GenerateAsync(request, cts.Token))
            {
                if (++seen == 3)
                {
                    cts.Cancel();
                }
            }
        });

        await engine.WaitForIdleAsync();
        Assert.Equal(0, engine.Stats.UsedKvBlocks);
        Assert.Equal(0, engine.Stats.RunningSequences);
    }

    [Fact]
    public async Task Stats_count_a_request_by_the_time_its_final_event_arrives()
    {
        // Callers (load reports, the cluster's prefill accounting) read the stats as soon as a reply ends.
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2, EnablePrefixCaching = false });
        for (var i = 0; i < 40; i++)
        {
            var before = engine.Stats;
            var request = new GenerationRequest { PromptTokenIds = Enumerable.Range(20 + i, 9).ToArray(), MaxTokens = 2, IgnoreEos = true };
            await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
            {
                if (e.Finish != FinishReason.None)
                {
                    var now = engine.Stats;
                    Assert.Equal(before.PrefillTokensComputed + 9, now.PrefillTokensComputed);
                    Assert.Equal(0, now.RunningSequences);
                }
            }
        }
    }

    [Fact]
    public async Task Second_turn_of_a_session_prefills_only_the_new_tokens()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var turn1 = Enumerable.Range(10, 37).ToArray(); // not a multiple of the block size: the partial block must be kept too
        var (reply, _) = await EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = turn1, MaxTokens = 5, IgnoreEos = true, SessionKey = "s1" }, TestContext.Current.CancellationToken);
        var before = engine.Stats.PrefillTokensComputed;

        var newTokens = new[] { 300, 301, 302, 303 };
        var turn2 = turn1.Concat(reply).Concat(newTokens).ToArray();
        var (_, final) = await EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = turn2, MaxTokens = 3, IgnoreEos = true, SessionKey = "s1" }, TestContext.Current.CancellationToken);

        // The last reply token was sampled but never fed through the model, so it is computed with the new ones.
        Assert.Equal(newTokens.Length + 1, engine.Stats.PrefillTokensComputed - before);
        Assert.Equal(turn2.Length - newTokens.Length - 1, final.CachedPromptTokens);
    }

    [Fact]
    public async Task Session_continuation_gives_the_same_tokens_as_a_fresh_prefill()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-qwen2"), new EngineOptions { Threads = 2 });
        var turn1 = Enumerable.Range(40, 21).ToArray();
        var (reply, _) = await EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = turn1, MaxTokens = 6, IgnoreEos = true, SessionKey = "s" }, TestContext.Current.CancellationToken);
        var turn2 = turn1.Concat(reply).Concat(new[] { 7, 8, 9 }).ToArray();
        var (resumed, _) = await EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = turn2, MaxTokens = 8, IgnoreEos = true, SessionKey = "s" }, TestContext.Current.CancellationToken);

        await using var fresh = InferenceEngine.Load(RepoPaths.Golden("tiny-qwen2"), new EngineOptions { Threads = 2, EnablePrefixCaching = false });
        var (expected, _) = await EngineTestRuns.RunAsync(fresh, new GenerationRequest { PromptTokenIds = turn2, MaxTokens = 8, IgnoreEos = true }, TestContext.Current.CancellationToken);
        Assert.Equal(expected, resumed);
    }

    [Fact]
    public async Task Prompt_longer_than_the_context_is_refused_with_the_numbers()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2, MaxContextLength = 64 });
        var request = new GenerationRequest { PromptTokenIds = Enumerable.Range(1, 60).ToArray(), MaxTokens = 10 };
        var e = await Assert.ThrowsAsync<ContextLengthException>(async () => await EngineTestRuns.RunAsync(engine, request, TestContext.Current.CancellationToken));
        Assert.Contains("64", e.Message);
        Assert.Contains("70", e.Message);
    }

    [Fact]
    public async Task Stop_token_ends_the_sequence_with_reason_stop()
    {
        var reference = Reference("tiny-llama");
        var p = reference.Prompts[1];
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var stopAt = p.Greedy[3];
        var (tokens, final) = await EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = p.Ids, MaxTokens = 24, IgnoreEos = true, StopTokenIds = [stopAt] }, TestContext.Current.CancellationToken);
        Assert.Equal(FinishReason.Stop, final.Finish);
        Assert.DoesNotContain(stopAt, tokens);
        Assert.Equal(p.Greedy.TakeWhile(t => t != stopAt), tokens);
    }

    [Fact]
    public async Task Max_tokens_ends_the_sequence_with_reason_length()
    {
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Threads = 2 });
        var (tokens, final) = await EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = [5, 6, 7], MaxTokens = 4, IgnoreEos = true }, TestContext.Current.CancellationToken);
        Assert.Equal(4, tokens.Count);
        Assert.Equal(FinishReason.Length, final.Finish);
        Assert.Equal(4, final.CompletionTokens);
        Assert.Equal(3, final.PromptTokens);
    }
}
