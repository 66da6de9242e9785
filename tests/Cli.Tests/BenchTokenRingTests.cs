using System.CommandLine;
using InferMesh.Cli.Benchmarks;
using InferMesh.Cli.Commands;

namespace InferMesh.Cli.Tests;

/// <summary>
/// <c>infermesh bench-tokenring</c> on the CPU with a golden model and short prompts: the path the GPU script runs
/// (engine prefill, per-step times, reference, both ring schedules, KV gather and greedy continuation, cost model).
/// </summary>
public sealed class BenchTokenRingTests
{
    private sealed class Silent : IProgress<string>
    {
        public void Report(string value)
        {
        }
    }

    [Fact]
    public async Task Both_rings_reproduce_single_device_logits_and_continuation_and_feed_the_cost_model()
    {
        var settings = new TokenRingBenchSettings(
            RepoPaths.Golden("tiny-llama"), ["cpu", "cpu", "cpu"], [40, 90], [61], ["tokenring", "one-way"], 5, 32, [], 4096, 450e9, null, 1);

        var results = await new TokenRingBenchmark(settings, new Silent()).RunAsync(TestContext.Current.CancellationToken);

        Assert.Equal([40, 90], results.SingleDevice.Select(s => s.Tokens));
        Assert.All(results.SingleDevice, s => Assert.True(s.Seconds > 0));
        Assert.Equal(["tokenring", "one-way ring"], results.Rings.Select(r => r.Schedule));
        Assert.All(results.Rings, r =>
        {
            Assert.Equal(3, r.Members);
            Assert.True(r.MaxAbsDelta <= 1e-4, $"{r.Schedule}: max |Δlogit| {r.MaxAbsDelta}");
            Assert.True(r.SameArgmax);
            Assert.Equal(r.ReferenceTokens, r.RingTokens);
            Assert.True(r.BytesPerLayer > 0 && r.KvGatherBytes > 0);
        });
        // Split sizes: every length (61, 40, 90) over 2, 4, 8 and the 3 members, at least 16 tokens, rounded up to even.
        Assert.Equal([20, 22, 30, 46], results.Steps.Select(s => s.Rows));
        Assert.Equal(results.Steps, results.CostInputs!.Steps);
    }

    [Fact]
    public async Task The_command_writes_the_measurements_and_predictions_as_markdown()
    {
        var output = Path.Combine(Path.GetTempPath(), $"tokenring-{Guid.NewGuid():N}.md");
        try
        {
            var root = new RootCommand { BenchTokenRingCommand.Create() };
            string[] args =
            [
                "bench-tokenring", "--model", RepoPaths.Golden("tiny-mistral-sw8"), "--devices", "cpu,cpu", "--lengths", "", "--ring-lengths", "44",
                "--schedules", "tokenring", "--tokens", "3", "--step-rows", "22", "--threads", "1", "--out", output,
            ];

            var exit = await root.Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

            Assert.Equal(0, exit);
            var markdown = await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken);
            Assert.Contains("| 44 | tokenring | 2 |", markdown);
            Assert.Contains("| 22 |", markdown);
            Assert.Contains("| tokens | 1 device | N=2 TokenRing | N=2 one-way | N=4 TokenRing | N=4 one-way | N=8 TokenRing | N=8 one-way |", markdown);
            Assert.Contains("| 1M |", markdown);
            Assert.DoesNotContain("Single-device prefill through the engine", markdown);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
