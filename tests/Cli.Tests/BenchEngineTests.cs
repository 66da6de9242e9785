using InferMesh.Cli.Benchmarks;
using InferMesh.Engine.Serving;

namespace InferMesh.Cli.Tests;

/// <summary><c>infermesh bench-engine</c>'s decode measurement on the CPU with a golden model.</summary>
public sealed class BenchEngineTests
{
    [Fact]
    public async Task A_batch_whose_prompts_fit_one_step_is_measured_while_it_decodes_whole()
    {
        var options = new EngineOptions { Device = "cpu", MaxSequences = 8, MaxBatchTokens = 8 * 32, EnablePrefixCaching = false };
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), options);

        var result = await EngineBenchmark.DecodeAsync(engine, 8, 32, 12, engine.Folder.Config.VocabSize, TestContext.Current.CancellationToken);

        Assert.True(result.WholeBatch, "every sequence should decode together after one prefill step");
        Assert.True(result.TokensPerSecond > 0);
    }

    [Fact]
    public async Task A_batch_admitted_one_prompt_per_step_is_reported_as_never_decoding_whole()
    {
        // A step budget of one prompt: sequence i starts decoding at step i, and the first finishes before the last starts.
        var options = new EngineOptions { Device = "cpu", MaxSequences = 8, MaxBatchTokens = 32, EnablePrefixCaching = false };
        await using var engine = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), options);

        var result = await EngineBenchmark.DecodeAsync(engine, 8, 32, 4, engine.Folder.Config.VocabSize, TestContext.Current.CancellationToken);

        Assert.False(result.WholeBatch);
    }
}
