using InferMesh.Engine.Serving;
using InferMesh.Engine.Verification;

namespace InferMesh.Engine.Tests.Golden;

/// <summary>
/// Every golden model (transformers float32 references) reproduced by the CPU engine: ids exact, argmax at every
/// position exact, last logits within 1e-3 (2e-2 for bf16 weights), 24-token greedy continuation exact — alone, in
/// one continuous batch, with prefix sharing, and with chunked prefill of 64 and 1 tokens.
/// </summary>
public sealed class GoldenModelTests
{
    public static TheoryData<string> Models => new() { "tiny-llama", "tiny-qwen2", "tiny-llama3-bf16", "tiny-mistral-sw8" };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Each_prompt_run_alone_matches_transformers(string model)
    {
        var reports = await ReferenceCheck.RunAsync(RepoPaths.Golden(model), new EngineOptions { Threads = 2 }, concurrent: false, cancellationToken: TestContext.Current.CancellationToken);
        AssertAllPassed(reports);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task All_prompts_in_one_continuous_batch_match_transformers(string model)
    {
        var reports = await ReferenceCheck.RunAsync(RepoPaths.Golden(model), new EngineOptions { Threads = 2 }, concurrent: true, cancellationToken: TestContext.Current.CancellationToken);
        AssertAllPassed(reports);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Second_round_served_from_the_prefix_cache_matches_transformers(string model)
    {
        var reports = await ReferenceCheck.RunAsync(RepoPaths.Golden(model), new EngineOptions { Threads = 2, EnablePrefixCaching = true }, concurrent: true, rounds: 2, cancellationToken: TestContext.Current.CancellationToken);
        AssertAllPassed(reports);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Chunked_prefill_of_64_tokens_matches_transformers(string model)
    {
        var reports = await ReferenceCheck.RunAsync(RepoPaths.Golden(model), new EngineOptions { Threads = 2, MaxPrefillChunk = 64, MaxBatchTokens = 64 }, teacherChunk: 64, cancellationToken: TestContext.Current.CancellationToken);
        AssertAllPassed(reports);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Chunked_prefill_of_1_token_matches_transformers(string model)
    {
        var reports = await ReferenceCheck.RunAsync(RepoPaths.Golden(model), new EngineOptions { Threads = 2, MaxPrefillChunk = 1 }, teacherChunk: 1, cancellationToken: TestContext.Current.CancellationToken);
        AssertAllPassed(reports);
    }

    [Fact]
    public async Task Embedded_default_model_matches_its_transformers_reference()
    {
        var reports = await ReferenceCheck.RunAsync(Path.Combine(RepoPaths.Root, "models", "infermesh-tiny"), new EngineOptions { Threads = 2 }, cancellationToken: TestContext.Current.CancellationToken);
        AssertAllPassed(reports);
    }

    internal static void AssertAllPassed(IReadOnlyList<PromptReport> reports)
    {
        Assert.NotEmpty(reports);
        foreach (var r in reports)
        {
            Assert.True(r.IdsMatch, $"prompt {r.Index} ({r.Preview}): tokenizer ids differ");
            Assert.True(r.ArgmaxMismatches == 0, $"prompt {r.Index}: argmax differs at {r.ArgmaxMismatches} of {r.Tokens} positions");
            Assert.True(r.MaxLogitDelta <= r.Tolerance, $"prompt {r.Index}: max |Δlogit| {r.MaxLogitDelta} > {r.Tolerance}");
            Assert.True(r.GreedyMatch, $"prompt {r.Index}: greedy [{string.Join(",", r.Greedy)}] ≠ expected [{string.Join(",", r.ExpectedGreedy)}]");
        }
    }
}
