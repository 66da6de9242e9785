using System.CommandLine;
using System.Globalization;
using InferMesh.Cli.Benchmarks;
using InferMesh.Cli.Cluster;
using InferMesh.Contracts;
using InferMesh.Engine.Loading;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh bench-ring-cluster</c>: starts N silo processes of this executable on one machine (Orleans
/// development clustering through a fixed primary silo, nothing to install), each with its own engine on the given
/// device — several may share one GPU — and prefills one prompt through a ring of them, reporting prefill time,
/// bytes moved and time in transfer per member, logits against single-process prefill and the greedy continuation
/// after the KV gather.
/// </summary>
internal static class BenchRingClusterCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Hugging Face model folder (default: the embedded infermesh-tiny model)" };
        var device = new Option<string>("--device") { Description = "cpu or cuda:N (every silo process uses it)", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads per silo process (default: all cores)" };
        var silos = new Option<int>("--silos") { Description = "silo processes = ring members", DefaultValueFactory = _ => 2 };
        var tokens = new Option<int>("--tokens") { Description = "prompt length (random token ids, fixed seed)", DefaultValueFactory = _ => 32768 };
        var decode = new Option<int>("--decode-tokens") { Description = "greedy tokens compared after the KV gather", DefaultValueFactory = _ => 8 };
        var schedule = new Option<string>("--schedule") { Description = "tokenring, one-way or both", DefaultValueFactory = _ => "both" };
        var chunk = new Option<int>("--chunk-kb") { Description = "largest Orleans message a tensor is split into, KiB", DefaultValueFactory = _ => 4096 };
        var rounds = new Option<int>("--rtt-rounds") { Description = "merge round trips to time (0 = skip)", DefaultValueFactory = _ => 200 };
        var rttBytes = new Option<string?>("--rtt-bytes") { Description = "request,reply bytes of a timed merge round (default: one token's query and partial out + LSE of this model)" };
        var maxDelta = new Option<double?>("--max-logit-delta") { Description = "exit with 1 when any schedule's max |Δ logit| against single-process prefill is larger" };
        var warmUp = new Option<int>("--warmup-runs") { Description = "unmeasured full-length runs of every schedule and of single-process prefill first", DefaultValueFactory = _ => 1 };
        var startup = new Option<int>("--startup-seconds") { Description = "how long a silo process may take to load and join", DefaultValueFactory = _ => 600 };
        var receive = new Option<int>("--receive-timeout-seconds") { Description = "how long a ring member waits for one block", DefaultValueFactory = _ => 600 };
        var output = new Option<string?>("--out") { Description = "append the markdown report to this file" };
        var command = new Command("bench-ring-cluster", "prefill one prompt through a TokenRing / one-way ring of silo processes on this machine; prints time, bytes moved, transfer time and agreement with one process")
        {
            model, device, threads, silos, tokens, decode, schedule, chunk, rounds, rttBytes, maxDelta, warmUp, startup, receive, output,
        };
        command.SetAction(async (result, ct) =>
        {
            var dir = DefaultModel.Resolve(result.GetValue(model));
            var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
            var n = result.GetValue(silos);
            var length = result.GetValue(tokens);
            var decodeTokens = Math.Max(1, result.GetValue(decode));
            var deviceName = result.GetValue(device)!;
            if (n < 2 || length < 2 * n)
            {
                throw new ArgumentException($"--silos must be at least 2 and --tokens at least 2 × silos (got {n} silos, {length} tokens).");
            }

            var schedules = Schedules(result.GetValue(schedule)!);
            var kvTokens = length + decodeTokens + 64;
            var ports = RingSiloProcess.FreePorts(2 * n);
            var clusterId = $"ring-bench-{Environment.ProcessId}";
            var processes = new List<RingSiloProcess>();
            try
            {
                RingSiloProcess Launch(int i) => RingSiloProcess.Start(i,
                [
                    "--model", dir, "--device", deviceName, "--kv-tokens", Text(kvTokens), "--silo-port", Text(ports[2 * i]), "--gateway-port", Text(ports[(2 * i) + 1]),
                    "--primary-port", Text(ports[0]), "--cluster-id", clusterId, .. result.GetValue(threads) is { } t ? ["--threads", Text(t)] : Array.Empty<string>(),
                ]);

                // The primary first: the others join the cluster through it.
                var timeout = TimeSpan.FromSeconds(result.GetValue(startup));
                processes.Add(Launch(0));
                await processes[0].WaitReadyAsync(timeout, ct);
                processes.AddRange(Enumerable.Range(1, n - 1).Select(Launch));
                await Task.WhenAll(processes.Skip(1).Select(p => p.WaitReadyAsync(timeout, ct)));
                Console.Error.WriteLine($"[bench] {n} silo processes ready (pids {string.Join(", ", processes.Select(p => p.ProcessId))})");

                var builder = Host.CreateApplicationBuilder([]);
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                builder.UseOrleansClient(client =>
                {
                    client.UseLocalhostClustering(Enumerable.Range(0, n).Select(i => ports[(2 * i) + 1]).ToArray(), clusterId, clusterId);
                    client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(30));
                });
                using var host = builder.Build();
                await host.StartAsync(ct);
                var client = host.Services.GetRequiredService<IClusterClient>();
                var shards = await ShardsAsync(client, ports, n, timeout, ct);

                var random = new Random(20261125);
                var ids = Enumerable.Range(0, length).Select(_ => random.Next(Math.Min(100, config.VocabSize - 1), config.VocabSize)).ToArray();
                var bench = new RingClusterBenchmark(client, shards, config, deviceName == "cpu" ? 4 : 2, Console.Error);
                var report = await bench.RunAsync(ids, schedules, decodeTokens, TimeSpan.FromSeconds(result.GetValue(receive)), result.GetValue(chunk) * 1024, result.GetValue(rounds), RoundTripBytes(result.GetValue(rttBytes)), Math.Max(0, result.GetValue(warmUp)));
                var markdown = $"## bench-ring-cluster: {Path.GetFileName(dir)} on {deviceName}, {n} silo processes, {length} tokens ({DateTime.UtcNow:yyyy-MM-dd}, commit {Environment.GetEnvironmentVariable("INFERMESH_COMMIT") ?? "unknown"})\n\n{report.Markdown}";
                Console.WriteLine(markdown);
                if (result.GetValue(output) is { } path)
                {
                    await File.AppendAllTextAsync(path, markdown + Environment.NewLine, ct);
                }

                await host.StopAsync(CancellationToken.None);
                if (result.GetValue(maxDelta) is { } limit && report.Runs.Any(r => r.MaxLogitDelta > limit || !r.SameArgmax || r.SameGreedyTokens != r.GreedyTokens))
                {
                    Console.Error.WriteLine($"[bench] a ring disagreed with single-process prefill (limit {limit} on |Δ logit|, same argmax, same greedy tokens)");
                    return 1;
                }

                return 0;
            }
            finally
            {
                // The primary last: the others leave through it.
                await Task.WhenAll(processes.Skip(1).Select(p => p.DisposeAsync().AsTask()));
                if (processes.Count > 0)
                {
                    await processes[0].DisposeAsync();
                }
            }
        });
        return command;
    }

    private static IReadOnlyList<PrefillRingSchedule> Schedules(string value) => value.ToLowerInvariant() switch
    {
        "tokenring" => [PrefillRingSchedule.TokenRing],
        "one-way" => [PrefillRingSchedule.OneWayRing],
        "both" => [PrefillRingSchedule.TokenRing, PrefillRingSchedule.OneWayRing],
        _ => throw new ArgumentException($"--schedule {value} is not known; use tokenring, one-way or both."),
    };

    /// <summary>Waits until every silo's engine is in the cluster directory; returns their shard keys, primary silo first.</summary>
    private static async Task<IReadOnlyList<string>> ShardsAsync(IClusterClient client, int[] ports, int n, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var directory = client.GetGrain<IClusterDirectoryGrain>(0);
        while (true)
        {
            var replicas = await directory.GetReplicas();
            var bySilo = Enumerable.Range(0, n)
                .Select(i => replicas.FirstOrDefault(r => r.Silo.Contains($":{ports[2 * i]}@", StringComparison.Ordinal))?.ShardKey)
                .ToArray();
            if (bySilo.All(k => k is not null))
            {
                return bySilo!;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"only {bySilo.Count(k => k is not null)} of {n} silos reported their engine to the cluster directory within {timeout.TotalSeconds:F0} s");
            }

            await Task.Delay(250, ct);
        }
    }

    private static (int Request, int Reply)? RoundTripBytes(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var parts = value.Split(',');
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var request) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var reply) && request >= 0 && reply >= 0
            ? (request, reply)
            : throw new ArgumentException($"--rtt-bytes {value}: give request,reply byte counts, e.g. 8192,8320.");
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
