using System.CommandLine;
using System.Globalization;
using System.Text;
using InferMesh.Cli.Benchmarks;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;
using Spectre.Console;

namespace InferMesh.Cli.Commands;

/// <summary><c>infermesh bench-engine</c>: decode throughput per batch size and prefill time per length, as a table.</summary>
internal static class BenchEngineCommand
{
    public static Command Create()
    {
        var engine = new EngineArguments();
        var batches = new Option<string>("--batch") { Description = "comma-separated decode batch sizes", DefaultValueFactory = _ => "1,16" };
        var context = new Option<int>("--context") { Description = "prompt tokens before decoding", DefaultValueFactory = _ => 512 };
        var tokens = new Option<int>("--tokens") { Description = "tokens decoded per sequence", DefaultValueFactory = _ => 64 };
        var prefill = new Option<string>("--prefill") { Description = "comma-separated prefill lengths (empty = none)", DefaultValueFactory = _ => "512" };
        var warmup = new Option<int>("--warmup") { Description = "warm-up decode tokens", DefaultValueFactory = _ => 8 };
        var output = new Option<string?>("--out") { Description = "append the markdown table to this file" };
        var command = new Command("bench-engine", "measure decode tokens/s and prefill time of the engine") { batches, context, tokens, prefill, warmup, output };
        engine.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var batchSizes = Ints(result.GetValue(batches));
            var prefillLengths = Ints(result.GetValue(prefill));
            var ctx = result.GetValue(context);
            var n = result.GetValue(tokens);
            var maxBatch = batchSizes.DefaultIfEmpty(1).Max();
            var longest = prefillLengths.DefaultIfEmpty(0).Max();
            var options = engine.Options(result, maxSequences: Math.Max(maxBatch, 1)) with
            {
                // Every decode batch's prompts prefill in one or two steps (as a static-batch peer prefills them
                // together), so its sequences decode as a whole; bounded because activations scale with it.
                MaxBatchTokens = Math.Max(longest, Math.Min(ctx * maxBatch, 16384)),
                MaxContextLength = Math.Max(Math.Max(longest, ctx) + n + 1, result.GetValue(engine.MaxContext) ?? 0),
                EnablePrefixCaching = false,
            };
            IComputeBackend backend;
            using (var folder = ModelFolder.Open(engine.ModelDirectory(result)))
            {
                backend = folder.OpenBackend(options);
            }

            var bandwidth = DeviceBandwidth.Measure(backend);
            Console.Error.WriteLine($"[infermesh] device copy bandwidth: {bandwidth / 1e9:F0} GB/s");
            await using var e = InferenceEngine.Load(engine.ModelDirectory(result), options with { Backend = backend }, new ConsoleProgress());
            var vocab = e.Folder.Config.VocabSize;
            var traffic = ModelTraffic.Of(e.Folder, backend.ActivationType, backend.CacheType);
            var md = new StringBuilder();
            md.AppendLine(CultureInfo.InvariantCulture, $"model `{e.ModelName}` on {e.DeviceName}, context {ctx}, {n} decode tokens per sequence");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"measured copy bandwidth {bandwidth / 1e9:F0} GB/s; weights read per decode step {traffic.WeightBytes / 1e9:F2} GB");
            md.AppendLine();
            md.AppendLine("| measurement | value |");
            md.AppendLine("|---|---|");
            var table = new Table().AddColumn("measurement").AddColumn("value");
            foreach (var b in batchSizes)
            {
                Console.Error.WriteLine($"[infermesh] decode batch {b} ...");
                // A short run of the same shape first, so the measured one replays captured decode graphs (a serving
                // engine captures each batch bucket once, then replays it for as long as it runs).
                await EngineBenchmark.DecodeAsync(e, b, ctx, Math.Max(2, result.GetValue(warmup)), vocab, ct);
                var r = await EngineBenchmark.DecodeAsync(e, b, ctx, n, vocab, ct);
                var row = $"decode batch {b}";
                var floor = traffic.DecodeStepBytes(b, ctx + (n / 2)) / bandwidth * 1000;
                var value = string.Create(CultureInfo.InvariantCulture, $"{r.TokensPerSecond:F1} tokens/s ({r.StepMs:F2} ms/step; bandwidth floor {floor:F2} ms = {100 * floor / r.StepMs:F0}%){(r.WholeBatch ? "" : "; the batch never decoded whole, tail included")}");
                table.AddRow(row, value);
                md.AppendLine(CultureInfo.InvariantCulture, $"| {row} | {value} |");
            }

            foreach (var len in prefillLengths)
            {
                Console.Error.WriteLine($"[infermesh] prefill {len} ...");
                await EngineBenchmark.PrefillMsAsync(e, Math.Min(len, 16), vocab, ct);
                var ms = await EngineBenchmark.PrefillMsAsync(e, len, vocab, ct);
                var row = $"prefill {len} tokens";
                var tflops = traffic.LinearFlops(len) / (ms / 1000) / 1e12;
                var value = string.Create(CultureInfo.InvariantCulture, $"{ms:F1} ms ({len / (ms / 1000):F0} tokens/s, {tflops:F1} TFLOP/s in linear layers)");
                table.AddRow(row, value);
                md.AppendLine(CultureInfo.InvariantCulture, $"| {row} | {value} |");
            }

            AnsiConsole.Write(table);
            Console.WriteLine(md.ToString());
            if (result.GetValue(output) is { } path)
            {
                File.AppendAllText(path, md.ToString() + Environment.NewLine);
            }

            return 0;
        });
        return command;
    }

    private static int[] Ints(string? csv) =>
        string.IsNullOrWhiteSpace(csv) ? [] : csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
