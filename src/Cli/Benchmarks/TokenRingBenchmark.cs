using System.Diagnostics;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Cli.Benchmarks;

/// <summary>
/// The TokenRing benchmark: single-device prefill through the engine (the baseline), per-step times at several split
/// sizes (the cost model's inputs), then for each ring length the single-device reference (chunked prefill, greedy
/// continuation) and a ring prefill per schedule on the given devices — time, bytes per layer, last-position logits
/// against the reference, and the greedy continuation from the members' KV gathered onto member 0. Phases run one
/// after another and release their device memory, so one GPU holds the engine, then the ring.
/// </summary>
internal sealed class TokenRingBenchmark(TokenRingBenchSettings settings, IProgress<string> progress)
{
    public async Task<TokenRingResults> RunAsync(CancellationToken ct)
    {
        using var folder = ModelFolder.Open(settings.ModelDirectory);
        var config = folder.Config;
        var results = new TokenRingResults { Model = folder.Name, Devices = settings.Devices };
        var singleLengths = Clamp(settings.SingleDeviceLengths, config.MaxPositionEmbeddings - 1, "single-device", results.Notes);
        var ringLengths = Clamp(settings.RingLengths, config.MaxPositionEmbeddings - settings.ContinuationTokens, "ring", results.Notes);
        if (ringLengths.Any(l => l < 2 * settings.Devices.Count))
        {
            throw new ArgumentException($"--ring-lengths must be at least {2 * settings.Devices.Count} tokens for {settings.Devices.Count} members (two zig-zag chunks each).");
        }

        if (singleLengths.Count > 0)
        {
            await SingleDeviceAsync(folder, singleLengths, results, ct);
        }

        var backends = new List<IComputeBackend>();
        var devices = new List<(IComputeBackend Backend, LlamaWeights Weights)>();
        try
        {
            foreach (var device in settings.Devices)
            {
                var backend = ComputeDevices.Open(device, settings.Threads);
                backends.Add(backend);
                progress.Report($"loading {folder.Name} onto ring member {devices.Count} ({backend.DeviceName})");
                devices.Add((backend, LlamaWeights.Load(backend, config, folder.Weights)));
            }

            results.DeviceName = backends[0].DeviceName;
            results.Link = backends.Count > 1 ? "in-process messages moved device to device where the backends reach each other (IPeerCopy: peer access, or two contexts of one GPU), host payloads otherwise" : "one member";
            MeasureSteps(devices[0], ringLengths.Concat(singleLengths), results);
            foreach (var length in ringLengths)
            {
                RunRings(devices, length, results);
            }

            results.CostInputs = CostInputs(folder, backends, results);
            return results;
        }
        finally
        {
            foreach (var (_, weights) in devices)
            {
                weights.Dispose();
            }

            foreach (var backend in backends)
            {
                backend.Dispose();
            }
        }
    }

    private async Task SingleDeviceAsync(ModelFolder folder, IReadOnlyList<int> lengths, TokenRingResults results, CancellationToken ct)
    {
        var longest = lengths.Max();
        var options = new EngineOptions
        {
            Device = settings.Devices[0],
            Threads = settings.Threads,
            MaxBatchTokens = settings.Chunk,
            MaxPrefillChunk = settings.Chunk,
            MaxSequences = 1,
            MaxContextLength = longest + 1,
            KvCacheBlocks = ((longest + 16) / 16) + 1,
            EnablePrefixCaching = false,
            UseGraphs = false,
        };
        await using var engine = InferenceEngine.Load(folder.Directory, options, progress);
        var vocab = folder.Config.VocabSize;
        await EngineBenchmark.PrefillMsAsync(engine, Math.Min(64, lengths.Min()), vocab, ct);
        foreach (var length in lengths)
        {
            progress.Report($"single-device prefill of {length} tokens in chunks of {settings.Chunk} on {engine.DeviceName} ...");
            var ms = await EngineBenchmark.PrefillMsAsync(engine, length, vocab, ct);
            progress.Report($"  {ms / 1000:F2} s ({length / (ms / 1000):F0} tokens/s)");
            results.SingleDevice.Add((length, ms / 1000));
        }
    }

    private void MeasureSteps((IComputeBackend Backend, LlamaWeights Weights) device, IEnumerable<int> lengths, TokenRingResults results)
    {
        var rows = settings.StepRows.Count > 0
            ? settings.StepRows
            : lengths.SelectMany(l => new[] { 2, 4, 8 }.Append(settings.Devices.Count).Select(n => l / n))
                .Where(r => r >= 16 && r <= settings.MaxStepRows).Select(r => r + (r % 2)).Distinct().Order().ToArray();
        var profiler = new RingStepProfiler(device.Backend, device.Weights);
        foreach (var r in rows)
        {
            progress.Report($"per-step times at {r} tokens per member ...");
            var step = profiler.Measure(r);
            progress.Report($"  attention step {step.AttentionStepSeconds * 1e3:F2} ms, non-attention {step.LinearSecondsPerToken * 1e6:F2} µs/token");
            results.Steps.Add(step);
        }
    }

    private void RunRings(List<(IComputeBackend Backend, LlamaWeights Weights)> devices, int length, TokenRingResults results)
    {
        var (backend, weights) = devices[0];
        var config = weights.Config;
        var prompt = EngineBenchmark.Prompt(length, config.VocabSize, 7 + length);
        int k = settings.ContinuationTokens;
        float[] referenceLogits;
        int[] referenceTokens;
        double referenceSeconds;
        progress.Report($"single-device reference: {length} tokens on {backend.DeviceName}, then {k} greedy tokens ...");
        using (var reference = new SingleDeviceSequence(backend, weights, length + k, Math.Min(settings.Chunk, length)))
        {
            var clock = Stopwatch.StartNew();
            referenceLogits = reference.Prefill(prompt);
            referenceSeconds = clock.Elapsed.TotalSeconds;
            referenceTokens = reference.Greedy(referenceLogits, k);
        }

        foreach (var name in settings.Schedules)
        {
            var partition = SequencePartition.ZigZag(length, devices.Count);
            WarmUp(devices, name, config);
            progress.Report($"{name} ring: {length} tokens over {devices.Count} members ...");
            var schedule = Schedule(name);
            using var ring = new SequenceParallelPrefill(devices, prompt, partition, schedule);
            var clock = Stopwatch.StartNew();
            var logits = ring.Run();
            foreach (var (b, _) in devices)
            {
                b.Synchronize();
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var prefillTraffic = ring.Traffic;
            if (devices.Count > 1 && results.MeasuredLinkBytesPerSecond is null)
            {
                results.MeasuredLinkBytesPerSecond = LinkBandwidth(devices[0].Backend, devices[1].Backend, ring.Members[0].Rows * config.NumAttentionHeads * config.HeadDim);
            }

            // Again with the KV gathered into one device's paged cache, then greedy decoding there.
            using var sequence = new SingleDeviceSequence(devices[0].Backend, devices[0].Weights, length + k, 16);
            var gatheredLogits = ring.Run(0, sequence);
            var tokens = sequence.Greedy(gatheredLogits, k);
            var run = new RingRunResult(
                schedule.Name, devices.Count, length, seconds, referenceSeconds, (double)prefillTraffic.BytesSent / config.NumHiddenLayers, ring.Traffic.BytesSent - prefillTraffic.BytesSent,
                MaxAbsDelta(referenceLogits, logits), Cosine(referenceLogits, logits), SingleDeviceSequence.Argmax(referenceLogits) == SingleDeviceSequence.Argmax(logits), tokens, referenceTokens);
            progress.Report($"  {seconds:F2} s (single device {referenceSeconds:F2} s), {run.BytesPerLayer / 1e6:F1} MB/layer, transfer {prefillTraffic.TransferSeconds:F2} s, max |Δlogit| {run.MaxAbsDelta:G3}, cosine {run.Cosine:F6}, greedy {run.MatchingTokens}/{k} tokens agree");
            results.Rings.Add(run);
        }
    }

    /// <summary>A short ring per schedule first, so kernel compilation and scratch growth stay out of the timed run.</summary>
    private readonly HashSet<string> _warm = [];

    private void WarmUp(List<(IComputeBackend Backend, LlamaWeights Weights)> devices, string schedule, ModelConfig config)
    {
        if (!_warm.Add(schedule))
        {
            return;
        }

        // Long enough for block attention's GEMM path (R = 1024), so its kernels compile here too.
        var length = Math.Min(Math.Min(1024 * devices.Count, settings.RingLengths.Min()), config.MaxPositionEmbeddings - 1);
        using var ring = new SequenceParallelPrefill(devices, EngineBenchmark.Prompt(length, config.VocabSize, 1), SequencePartition.ZigZag(length, devices.Count), Schedule(schedule));
        ring.Run();
    }

    /// <summary>
    /// Median device-to-device copy rate of one query block from member 0's backend to member 1's (peer access between
    /// GPUs, or a copy within one GPU); the in-process ring itself stages blocks through host memory (see RingLink).
    /// </summary>
    private static double LinkBandwidth(IComputeBackend from, IComputeBackend to, int elements)
    {
        if (from is not CudaBackend sender || to is not CudaBackend receiver)
        {
            return 0;
        }

        using var source = from.Allocate(1, elements);
        using var destination = to.Allocate(1, elements);
        var times = new double[5];
        for (var i = -1; i < times.Length; i++)
        {
            from.Synchronize();
            to.Synchronize();
            var clock = Stopwatch.StartNew();
            sender.CopyToPeer(source, receiver, destination);
            from.Synchronize();
            to.Synchronize();
            if (i >= 0)
            {
                times[i] = clock.Elapsed.TotalSeconds;
            }
        }

        Array.Sort(times);
        return elements * 2.0 / times[times.Length / 2];
    }

    private RingCostInputs CostInputs(ModelFolder folder, List<IComputeBackend> backends, TokenRingResults results)
    {
        var c = folder.Config;
        var elementBytes = backends[0].ActivationType is DType.BF16 or DType.F16 ? 2 : 4;
        double weightBytes = folder.Weights.Names.Sum(n => folder.Weights.Get(n).Shape.Aggregate(1.0, (a, d) => a * d)) * elementBytes;
        var separateGpus = backends.Count > 1 && backends[0] is CudaBackend a && backends[1] is CudaBackend b && a.DeviceOrdinal != b.DeviceOrdinal;
        double link = separateGpus && results.MeasuredLinkBytesPerSecond is { } measured ? measured : settings.SpecLinkBytesPerSecond;
        results.LinkSource = separateGpus
            ? "measured: member 0 → member 1 query-block device copy (CudaBackend.CopyToPeer)"
            : $"specification (--link-gbps {settings.SpecLinkBytesPerSecond / 1e9:F0}; NVLink 4 on H100/H200 HGX), not measured: the members share one device here";
        double memory = settings.DeviceMemoryBytes ?? (backends[0] is CudaBackend cuda ? cuda.TotalMemoryBytes : 141e9);
        var last = results.Steps.Count > 0 ? results.Steps[^1] : null;
        return new RingCostInputs(
            folder.Name, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim,
            last?.LinearSecondsPerToken ?? 0, last is null ? 1 : 4.0 * c.HeadDim * c.NumAttentionHeads * last.Pairs / last.AttentionStepSeconds,
            link, elementBytes, memory, weightBytes)
        { Steps = results.Steps.ToArray() };
    }

    private static IRingSchedule Schedule(string name) => name switch
    {
        "tokenring" => new TokenRingSchedule(),
        "one-way" or "oneway" => new OneWayRingSchedule(),
        _ => throw new ArgumentException($"unknown schedule '{name}': use tokenring or one-way."),
    };

    private IReadOnlyList<int> Clamp(IReadOnlyList<int> lengths, int most, string what, List<string> notes) => lengths.Select(l =>
    {
        if (l <= most)
        {
            return l;
        }

        var note = $"{what} length {l} is more than the model's max_position_embeddings allows (with the continuation); ran {most} tokens.";
        progress.Report(note);
        notes.Add(note);
        return most;
    }).Distinct().ToArray();

    private static double MaxAbsDelta(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
