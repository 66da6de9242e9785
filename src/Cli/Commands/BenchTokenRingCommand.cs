using System.CommandLine;
using System.Globalization;
using InferMesh.Cli.Benchmarks;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh bench-tokenring</c>: single-device prefill at each length, TokenRing and one-way ring prefill over the
/// given devices checked against it (logits, greedy continuation), bytes per layer, the per-step times the cost model
/// uses, and the model's predictions for N = 2, 4, 8 at 32k–1M; writes markdown.
/// </summary>
internal static class BenchTokenRingCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Hugging Face model folder (default: the embedded infermesh-tiny model)" };
        var devices = new Option<string>("--devices") { Description = "one device per ring member: cuda:0,cuda:1,... (cuda:0,cuda:0 = two members sharing GPU 0), or cpu,cpu", DefaultValueFactory = _ => "cpu,cpu" };
        var lengths = new Option<string>("--lengths") { Description = "single-device prefill lengths (empty: none)", DefaultValueFactory = _ => "32768,65536,131072" };
        var ringLengths = new Option<string>("--ring-lengths") { Description = "ring prefill lengths", DefaultValueFactory = _ => "32768" };
        var schedules = new Option<string>("--schedules") { Description = "tokenring, one-way or both", DefaultValueFactory = _ => "tokenring,one-way" };
        var tokens = new Option<int>("--tokens") { Description = "greedy tokens compared after each ring", DefaultValueFactory = _ => 8 };
        var chunk = new Option<int>("--chunk") { Description = "single-device prefill chunk (tokens per step)", DefaultValueFactory = _ => 8192 };
        var stepRows = new Option<string>("--step-rows") { Description = "split sizes (tokens per member) to time for the cost model (default: lengths / 2, 4, 8 and / members)", DefaultValueFactory = _ => "" };
        var maxStepRows = new Option<int>("--max-step-rows") { Description = "largest derived split size to time", DefaultValueFactory = _ => 32768 };
        var link = new Option<double>("--link-gbps") { Description = "link bandwidth per direction for the cost model when members share a device (default: NVLink 4 spec)", DefaultValueFactory = _ => 450 };
        var memory = new Option<double?>("--device-memory-gb") { Description = "memory per device for the cost model (default: the first device's)" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads per CPU member (default: all cores)" };
        var output = new Option<string?>("--out") { Description = "write the markdown report to this file" };
        var command = new Command("bench-tokenring", "benchmark TokenRing and one-way ring prefill against single-device prefill and feed the cost model")
        {
            model, devices, lengths, ringLengths, schedules, tokens, chunk, stepRows, maxStepRows, link, memory, threads, output,
        };
        command.SetAction(async (result, ct) =>
        {
            var settings = new TokenRingBenchSettings(
                DefaultModel.Resolve(result.GetValue(model)),
                List(result.GetValue(devices)),
                Ints(result.GetValue(lengths), "--lengths"),
                Ints(result.GetValue(ringLengths), "--ring-lengths"),
                List(result.GetValue(schedules)),
                Positive(result.GetValue(tokens), "--tokens"),
                Positive(result.GetValue(chunk), "--chunk"),
                Ints(result.GetValue(stepRows), "--step-rows"),
                result.GetValue(maxStepRows),
                result.GetValue(link) * 1e9,
                result.GetValue(memory) * 1e9,
                result.GetValue(threads));
            if (settings.Devices.Count == 0 || settings.RingLengths.Count == 0 || settings.Schedules.Count == 0)
            {
                throw new ArgumentException("give at least one device (--devices), one ring length (--ring-lengths) and one schedule (--schedules).");
            }

            var results = await new TokenRingBenchmark(settings, new ConsoleProgress()).RunAsync(ct);
            var markdown = TokenRingReport.Render(results, settings);
            Console.WriteLine(markdown);
            if (result.GetValue(output) is { } path)
            {
                File.WriteAllText(path, markdown);
            }

            return results.Rings.All(r => r.SameArgmax) ? 0 : 2;
        });
        return command;
    }

    private static string[] List(string? csv) => (csv ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int[] Ints(string? csv, string option) => List(csv).Select(s =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new ArgumentException($"{option}: '{s}' is not a positive whole number of tokens.")).ToArray();

    private static int Positive(int value, string option) => value > 0 ? value : throw new ArgumentException($"{option} must be positive (got {value}).");
}
