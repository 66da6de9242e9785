using System.Diagnostics;
using System.Globalization;
using System.Text;
using InferMesh.Contracts;
using InferMesh.Engine.Loading;

namespace InferMesh.Cli.Benchmarks;

/// <summary>
/// The measurements of <c>bench-ring-cluster</c>, taken through grains of a running cluster: single-process prefill
/// of the prompt on member 0's engine (the reference), each schedule's ring prefill across the silo processes (time,
/// bytes moved, time in transfer per member, logits against the reference, greedy continuation after the KV gather
/// against the engine's own single-device prefill), and the round trip of one cross-process attention merge, which
/// is what distributed decode would pay per layer and token.
/// </summary>
internal sealed class RingClusterBenchmark(IClusterClient client, IReadOnlyList<string> shards, ModelConfig config, int bytesPerElement, TextWriter log)
{
    private readonly string _ringPrefix = $"bench-{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}";
    private int _rings;

    public sealed record ScheduleRun(PrefillRingSchedule Schedule, RingPrefillResult Result, float MaxLogitDelta, bool SameArgmax, int SameGreedyTokens, int GreedyTokens);

    public sealed record Report(int Tokens, double OneProcessSeconds, double EngineFirstTokenSeconds, IReadOnlyList<ScheduleRun> Runs, RoundTripTiming? MergeRound, string Markdown);

    public async Task<Report> RunAsync(int[] ids, IReadOnlyList<PrefillRingSchedule> schedules, int decodeTokens, TimeSpan receiveTimeout, int chunkBytes, int rttRounds, (int Request, int Reply)? rttBytes, int warmUpRuns)
    {
        // Full-length runs first (no KV gather): JIT tiering, kernel loading and first allocations otherwise land in
        // whichever schedule is measured first (measured on CPU: 1.5-2.5× slower when run first).
        for (var w = 0; w < warmUpRuns; w++)
        {
            log.WriteLine($"[bench] warm-up {w + 1}/{warmUpRuns}: {ids.Length} tokens on one device and through each schedule");
            await Ring().PrefillOnOneDevice(shards[0], ids);
            foreach (var s in schedules)
            {
                await Ring().Prefill(new RingPrefillRequest { TokenIds = ids, Members = shards, Schedule = s, GatherToFirst = false, ReceiveTimeout = receiveTimeout, MessageChunkBytes = chunkBytes });
            }
        }

        log.WriteLine($"[bench] single-process prefill of {ids.Length} tokens on {shards[0]}");
        var reference = await Ring().PrefillOnOneDevice(shards[0], ids);
        log.WriteLine($"[bench] engine prefill + {decodeTokens} greedy tokens on one device (no ring)");
        var clock = Stopwatch.StartNew();
        var (engineTokens, firstToken) = await GreedyAsync(ids, decodeTokens, null, clock);
        var runs = new List<ScheduleRun>();
        foreach (var s in schedules)
        {
            log.WriteLine($"[bench] {s} ring over {shards.Count} silos, {ids.Length} tokens");
            var result = await Ring().Prefill(new RingPrefillRequest { TokenIds = ids, Members = shards, Schedule = s, ReturnLogits = true, ReceiveTimeout = receiveTimeout, MessageChunkBytes = chunkBytes });
            var logits = result.LastLogits ?? throw new InvalidOperationException("the ring returned no logits");
            var delta = reference.LastLogits.Zip(logits, (a, b) => MathF.Abs(a - b)).Max();
            var sameArgmax = ArgMax(reference.LastLogits) == ArgMax(logits);
            var same = 0;
            if (result.ImportedPrefixKey is { } key)
            {
                var (ringTokens, _) = await GreedyAsync(ids, decodeTokens, key, Stopwatch.StartNew());
                same = ringTokens.Zip(engineTokens).TakeWhile(p => p.First == p.Second).Count();
            }
            else
            {
                log.WriteLine("[bench] member 0 could not import the KV (cache too small): no continuation to compare");
            }

            runs.Add(new ScheduleRun(s, result, delta, sameArgmax, same, engineTokens.Count));
        }

        RoundTripTiming? merge = null;
        if (shards.Count > 1 && rttRounds > 0)
        {
            var q = config.NumAttentionHeads * config.HeadDim * bytesPerElement;
            var (request, reply) = rttBytes ?? (q, q + (config.NumAttentionHeads * sizeof(float)));
            log.WriteLine($"[bench] {rttRounds} merge-round trips {shards[0]} -> {shards[1]}");
            merge = await Ring().MeasureRoundTrips(shards[0], shards[1], request, reply, rttRounds);
        }

        return new Report(ids.Length, reference.Seconds, firstToken, runs, merge, Render(ids.Length, reference.Seconds, firstToken, runs, merge));
    }

    private IPrefillRingGrain Ring() => client.GetGrain<IPrefillRingGrain>($"{_ringPrefix}-{++_rings}");

    private async Task<(List<int> Tokens, double FirstTokenSeconds)> GreedyAsync(int[] ids, int count, string? importKey, Stopwatch clock)
    {
        var tokens = new List<int>();
        var first = 0.0;
        var request = new ShardGenerationRequest { PromptTokenIds = ids, MaxTokens = count, Options = new GenerationOptions { Temperature = 0, IgnoreEos = true }, ImportedPrefixKey = importKey };
        await foreach (var e in client.GetGrain<IModelShardGrain>(shards[0]).Generate(request))
        {
            if (e.TokenId >= 0)
            {
                first = tokens.Count == 0 ? clock.Elapsed.TotalSeconds : first;
                tokens.Add(e.TokenId);
            }
        }

        return (tokens, first);
    }

    private string Render(int tokens, double oneProcess, double engineFirst, List<ScheduleRun> runs, RoundTripTiming? merge)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"{shards.Count} silo processes, one engine each ({string.Join(", ", shards)}); prompt {tokens} tokens; "
            + $"{config.NumHiddenLayers} layers, {config.NumAttentionHeads} query / {config.NumKeyValueHeads} KV heads × {config.HeadDim}; {bytesPerElement}-byte activations on the wire.");
        md.AppendLine();
        md.AppendLine(c, $"Single-process prefill (member 0's device alone, last logits only): **{oneProcess:F3} s**. Engine prefill + first token through its shard grain, no ring: {engineFirst:F3} s.");
        md.AppendLine();
        md.AppendLine("| schedule | ring prefill s | speed-up | bytes moved | max transfer s (member) | KV gather s | max abs Δ logit | argmax | greedy after gather |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in runs)
        {
            var worst = r.Result.Members.MaxBy(m => m.TransferSeconds)!;
            md.AppendLine(c, $"| {r.Schedule} | {r.Result.Seconds:F3} | {oneProcess / r.Result.Seconds:F2}× | {Mb(r.Result.BytesMoved)} MB | {worst.TransferSeconds:F3} ({worst.Index}) | "
                + $"{r.Result.Members[0].GatherSeconds:F3} | {r.MaxLogitDelta:G3} | {(r.SameArgmax ? "same" : "DIFFERENT")} | {r.SameGreedyTokens}/{r.GreedyTokens} same |");
        }

        md.AppendLine();
        md.AppendLine("| schedule | member | tokens | wall s | sent MB | received MB | waiting on transport s | staging s | transfer s | lease wait s |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in runs)
        {
            foreach (var m in r.Result.Members)
            {
                md.AppendLine(c, $"| {r.Schedule} | {m.Index} | {m.Rows} | {m.WallSeconds:F3} | {Mb(m.BytesSent)} | {Mb(m.BytesReceived)} | {m.WaitSeconds:F3} | {m.StagingSeconds:F3} | {m.TransferSeconds:F3} | {m.LeaseWaitSeconds:F3} |");
            }
        }

        if (merge is not null)
        {
            var perToken = merge.MedianSeconds * config.NumHiddenLayers;
            md.AppendLine();
            md.AppendLine(c, $"Cross-process merge round (one token's query out, partial out + LSE back; {merge.RequestBytes} B / {merge.ReplyBytes} B, {merge.Rounds} rounds): "
                + $"median {merge.MedianSeconds * 1e3:F3} ms, p90 {merge.P90Seconds * 1e3:F3} ms. Decode with the KV left distributed needs one such round per layer, "
                + $"in sequence: ≥ {perToken * 1e3:F2} ms added to every decoded token ({config.NumHiddenLayers} layers), against a one-off gather of "
                + $"{runs.Select(r => r.Result.Members[0].GatherSeconds).DefaultIfEmpty().Max():F3} s after the prefill.");
        }

        return md.ToString();
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture);

    private static int ArgMax(IReadOnlyList<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Count; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }
}
