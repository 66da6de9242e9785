using System.Globalization;
using System.Text;
using InferMesh.Engine.SequenceParallel;

namespace InferMesh.Cli.Benchmarks;

/// <summary>The markdown <c>bench-tokenring</c> writes: measurements first, then the cost model fed with them.</summary>
internal static class TokenRingReport
{
    public static string Render(TokenRingResults r, TokenRingBenchSettings settings)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        var model = r.CostInputs is null ? null : new RingCostModel(r.CostInputs);
        var commit = Environment.GetEnvironmentVariable("INFERMESH_COMMIT");
        s.AppendLine(c, $"### TokenRing benchmark: `{r.Model}` on {string.Join(", ", r.Devices)}");
        s.AppendLine();
        s.AppendLine(c, $"Device {r.DeviceName}; {r.Devices.Count} ring member(s); members exchange tensors by {r.Link}. {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(string.IsNullOrWhiteSpace(commit) ? "" : $", commit {commit.Trim()}")}.");
        foreach (var note in r.Notes)
        {
            s.AppendLine(c, $"Note: {note}");
        }

        s.AppendLine();
        if (r.SingleDevice.Count > 0)
        {
            s.AppendLine(c, $"Single-device prefill through the engine (chunks of {settings.Chunk} tokens, time to first token), with the cost model's prediction:");
            s.AppendLine();
            s.AppendLine("| tokens | seconds | tokens/s | predicted s |");
            s.AppendLine("|---|---|---|---|");
            foreach (var (tokens, seconds) in r.SingleDevice)
            {
                s.AppendLine(c, $"| {tokens} | {seconds:F3} | {tokens / seconds:F0} | {(model is null ? "" : model.SingleDevice(tokens).Seconds.ToString("F3", c))} |");
            }

            s.AppendLine();
        }

        if (r.Rings.Count > 0)
        {
            s.AppendLine("Ring prefill against single-device chunked prefill of the same prompt on member 0's device (logits of the last position; greedy continuation from the members' KV gathered onto member 0):");
            s.AppendLine();
            s.AppendLine("| tokens | schedule | members | ring s | single-device s | speedup | bytes moved per layer | KV gathered for decode | max abs Δlogit | cosine | same argmax | greedy tokens agreeing | predicted s |");
            s.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var run in r.Rings)
            {
                var kind = run.Schedule == new TokenRingSchedule().Name ? RingScheduleKind.TokenRing : RingScheduleKind.OneWayRing;
                var predicted = model is null || run.Members < 2 ? "" : model.Predict(kind, run.Members, run.Tokens).Seconds.ToString("F3", c);
                s.AppendLine(c, $"| {run.Tokens} | {run.Schedule} | {run.Members} | {run.Seconds:F3} | {run.ReferenceSeconds:F3} | {run.ReferenceSeconds / run.Seconds:F2}x | {Bytes(run.BytesPerLayer)} | {Bytes(run.KvGatherBytes)} | {run.MaxAbsDelta:G3} | {run.Cosine:F6} | {(run.SameArgmax ? "yes" : "no")} | {run.MatchingTokens}/{run.RingTokens.Count} | {predicted} |");
            }

            s.AppendLine();
            if (r.Devices.Distinct().Count() < r.Devices.Count)
            {
                s.AppendLine("Members that share a device take turns on it, so a shared-device ring is a correctness and plumbing check; its time is not a speedup measurement (the prediction assumes one device per member).");
                s.AppendLine();
            }
        }

        if (r.Steps.Count > 0)
        {
            s.AppendLine(c, $"Per-step times measured on {r.DeviceName} (the cost model's inputs): one ring step's block attention of R zig-zag queries over another member's R keys (R²/2 visible pairs) plus the LSE merge, and non-attention work per token over all layers at R rows:");
            s.AppendLine();
            s.AppendLine("| tokens per member R | attention step, one layer (ms) | attention TFLOP/s | non-attention (µs/token, all layers) |");
            s.AppendLine("|---|---|---|---|");
            foreach (var step in r.Steps)
            {
                s.AppendLine(c, $"| {step.Rows} | {step.AttentionStepSeconds * 1e3:F3} | {(model is null ? 0 : model.AttentionFlopsPerSecond(step.Rows) / 1e12):G3} | {step.LinearSecondsPerToken * 1e6:F2} |");
            }

            s.AppendLine();
        }

        if (r.MeasuredLinkBytesPerSecond is { } link)
        {
            s.AppendLine(c, $"Member 0 → member 1 device copy of a query block (CudaBackend.CopyToPeer; the ring itself: {r.Link}): {link / 1e9:F1} GB/s.");
            s.AppendLine();
        }

        if (model is not null)
        {
            var i = model.Inputs;
            s.AppendLine(c, $"Cost model (src/Engine/SequenceParallel/RingCostModel.cs) fed with the measurements above: {i.Layers} layers, {i.Heads} query / {i.KvHeads} KV heads, head dim {i.HeadDim}; "
                + $"per-step times interpolated between the measured split sizes; link {i.LinkBytesPerSecond / 1e9:F0} GB/s per direction ({r.LinkSource}); {i.ActivationBytes}-byte activations on the wire; "
                + $"device memory {i.DeviceMemoryBytes / 1e9:F0} GB; weights per member {Bytes(i.WeightBytes)}.");
            s.AppendLine();
            RingPredictionTable.Append(s, model);
        }

        return s.ToString();
    }

    private static string Bytes(double bytes) => bytes switch
    {
        >= 1e9 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:F2} GB"),
        >= 1e6 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F1} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:F1} kB"),
    };
}
