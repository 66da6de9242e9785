using System.CommandLine;
using System.Globalization;
using InferMesh.Cli.Cluster;
using InferMesh.Engine.Serving;
using Spectre.Console;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh bench</c>: a load generator for any OpenAI-compatible URL — N concurrent sessions, several turns each,
/// streaming — reporting TTFT, inter-token latency and end-to-end percentiles plus throughput.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "base URL of an OpenAI-compatible API", DefaultValueFactory = _ => "http://localhost:8080/v1" };
        var model = new Option<string?>("--model", "-m") { Description = "model id (default: the server's first model)" };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer key" };
        var sessions = new Option<int>("--sessions", "-c") { Description = "concurrent sessions", DefaultValueFactory = _ => 16 };
        var turns = new Option<int>("--turns") { Description = "turns per session", DefaultValueFactory = _ => 3 };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "tokens per reply (generated to the end: ignore_eos)", DefaultValueFactory = _ => 32 };
        var promptWords = new Option<int>("--prompt-words") { Description = "words per user message", DefaultValueFactory = _ => 24 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out", "-o") { Description = "append the results as Markdown to this file" };
        var engineDir = new Option<string?>("--engine") { Description = "instead of a URL, drive this model folder's engine in-process (the baseline without gateway and Orleans)" };
        var device = new Option<string>("--device") { Description = "device for --engine", DefaultValueFactory = _ => "cpu" };
        var repeat = new Option<int>("--repeat") { Description = "run the workload this many times in this process (the first warms everything up)", DefaultValueFactory = _ => 1 };
        var command = new Command("bench", "load-test an OpenAI-compatible server: concurrent multi-turn sessions, TTFT/ITL/e2e percentiles, tokens/s")
        {
            url, model, apiKey, sessions, turns, maxTokens, promptWords, seed, output, engineDir, device, repeat,
        };
        command.SetAction(async (result, ct) =>
        {
            await using var target = await TargetAsync(result, url, model, apiKey, engineDir, device, ct);
            var failures = 0;
            var runs = Math.Max(1, result.GetValue(repeat));
            for (var run = 1; run <= runs; run++)
            {
                var bench = await RunWithProgressAsync(target, result.GetValue(sessions), result.GetValue(turns), result.GetValue(maxTokens), result.GetValue(promptWords), result.GetValue(seed) + run - 1, ct);
                Print(bench);
                failures += bench.Failures;
                if (result.GetValue(output) is { Length: > 0 } file)
                {
                    var label = runs > 1 ? $"run {run} of {runs}{(run == 1 ? " (warm-up)" : "")}: " : "";
                    await File.AppendAllTextAsync(file, label + bench.ToMarkdown() + Environment.NewLine, ct);
                }
            }

            return failures == 0 ? 0 : 1;
        });
        return command;
    }

    private static async Task<IChatTarget> TargetAsync(ParseResult result, Option<string> url, Option<string?> model, Option<string?> apiKey, Option<string?> engineDir, Option<string> device, CancellationToken ct)
    {
        if (result.GetValue(engineDir) is { Length: > 0 } dir)
        {
            return new EngineChatTarget(InferenceEngine.Load(Path.GetFullPath(dir), new EngineOptions { Device = result.GetValue(device)! }));
        }

        var baseUrl = new Uri(result.GetValue(url)!.TrimEnd('/') + "/");
        using var http = new HttpClient();
        var modelId = result.GetValue(model) ?? await GatewayChatCommand.FirstModelAsync(http, baseUrl, result.GetValue(apiKey), ct);
        return new GatewayChatTarget(baseUrl, modelId, result.GetValue(apiKey));
    }

    internal static async Task<BenchResult> RunWithProgressAsync(IChatTarget target, int sessions, int turns, int maxTokens, int promptWords, int seed, CancellationToken ct)
    {
        BenchResult? bench = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"{sessions} sessions × {turns} turns", maxValue: sessions * turns);
                bench = await BenchRunner.RunAsync(target, sessions, turns, maxTokens, promptWords, seed, () => task.Increment(1), ct);
            });
        return bench!;
    }

    internal static void Print(BenchResult bench)
    {
        var table = new Table().Title(bench.Target).AddColumns("metric", "p50 ms", "p90 ms", "p99 ms", "mean ms");
        foreach (var (metric, stats) in bench.Latencies)
        {
            table.AddRow(metric, BenchResult.Ms(stats.Percentile(50)), BenchResult.Ms(stats.Percentile(90)), BenchResult.Ms(stats.Percentile(99)), BenchResult.Ms(stats.Mean));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]{bench.TokensPerSecond:F1}[/] tokens/s, {bench.RequestsPerSecond:F2} req/s, {bench.EndToEnd.Count} ok / {bench.Failures} failed, cached prompt tokens {bench.CachedPromptTokens}/{bench.PromptTokens}"));
    }
}
