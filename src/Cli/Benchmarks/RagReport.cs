using System.Globalization;
using System.Text;
using InferMesh.Engine.Serving;

namespace InferMesh.Cli.Benchmarks;

/// <summary>The markdown table of <c>bench-rag</c>: latency, work, cache hits and answer quality against full recomputation.</summary>
internal static class RagReport
{
    /// <summary>A greedy step whose runner-up was this close (nats) flips under any perturbation of the logits.</summary>
    public const float NearTie = 0.01f;

    public static string Markdown(IReadOnlyDictionary<string, RagRun> runs, string model, int k, int chunkLen, int requests, bool precomputed)
    {
        var md = new StringBuilder();
        var warm = precomputed ? "; every pool chunk served once alone first" : "";
        md.AppendLine(CultureInfo.InvariantCulture, $"model `{model}`, {requests} requests of {k} chunks x {chunkLen} tokens + instructions + question (Zipf 1.0 popularity, random order{warm})");
        md.AppendLine();
        md.AppendLine("| mode | TTFT p50 ms | TTFT p99 ms | requests/s | prompt tokens computed | chunk hit rate | greedy answer = full | differing answers that split at a near-tie | token agreement | first-token KL vs full |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        runs.TryGetValue("full", out var full);
        foreach (var (mode, r) in runs)
        {
            var sorted = r.Ttft.Order().ToArray();
            var hit = r.ChunkLookups == 0 ? "-" : $"{100.0 * r.ChunkHits / r.ChunkLookups:F0}%";
            string same = "-", ties = "-", agree = "-", kl = "-";
            if (full is not null)
            {
                var differing = r.Answers.Select((a, i) => (Index: i, Split: a.Zip(full.Answers[i]).TakeWhile(t => t.First == t.Second).Count()))
                    .Where(d => d.Split < full.Answers[d.Index].Count).ToList();
                same = $"{100.0 * (r.Answers.Count - differing.Count) / r.Answers.Count:F0}%";
                ties = $"{differing.Count(d => full.Margins[d.Index][d.Split] < NearTie)} of {differing.Count}";
                agree = $"{100.0 * r.Answers.Zip(full.Answers).Sum(p => p.First.Zip(p.Second).Count(t => t.First == t.Second)) / Math.Max(1, full.Answers.Sum(a => a.Count)):F0}%";
                kl = r.FirstTokens.Zip(full.FirstTokens).Average(p => TopKl(p.Second, p.First)).ToString("F4", CultureInfo.InvariantCulture);
            }

            md.AppendLine(CultureInfo.InvariantCulture, $"| {mode} | {Percentile(sorted, 0.5):F1} | {Percentile(sorted, 0.99):F1} | {r.Answers.Count / r.Seconds:F2} | {r.Computed} of {r.PromptTokens} ({100.0 * r.Computed / r.PromptTokens:F0}%) | {hit} | {same} | {ties} | {agree} | {kl} |");
        }

        AppendKvDeviation(md, runs);
        if (full is not null)
        {
            var atRisk = full.Margins.Count(m => m.Count > 0 && m.Min() < NearTie);
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"{atRisk} of {full.Answers.Count} full-recompute answers have a near-tie (runner-up within {NearTie} nats) somewhere in their greedy path.");
        }

        return md.ToString();
    }

    /// <summary>
    /// Mean over requests of each layer's relative L2 deviation of keys / values from full recomputation (every prompt
    /// position; reused positions carry their stored variant's KV, recomputed ones attend to them). At most 9 layers
    /// are shown: evenly spaced, first and last included.
    /// </summary>
    private static void AppendKvDeviation(StringBuilder md, IReadOnlyDictionary<string, RagRun> runs)
    {
        var measured = runs.Where(r => r.Value.KvDeviation.Count > 0).ToList();
        if (measured.Count == 0)
        {
            return;
        }

        var layers = measured[0].Value.KvDeviation[0].Length;
        var shown = Enumerable.Range(0, Math.Min(layers, 9)).Select(i => layers <= 9 ? i : (int)Math.Round(i * (layers - 1) / 8.0)).Distinct().ToArray();
        md.AppendLine();
        md.AppendLine("KV deviation from full recomputation, ‖K − K_full‖/‖K_full‖ / ‖V − V_full‖/‖V_full‖ over all prompt positions, mean over requests:");
        md.AppendLine();
        md.AppendLine("| mode | " + string.Join(" | ", shown.Select(l => $"layer {l}")) + " |");
        md.AppendLine("|---|" + string.Concat(shown.Select(_ => "---|")));
        foreach (var (mode, r) in measured)
        {
            var cells = shown.Select(l => string.Create(CultureInfo.InvariantCulture, $"{r.KvDeviation.Average(d => d[l].Keys):F4} / {r.KvDeviation.Average(d => d[l].Values):F4}"));
            md.AppendLine($"| {mode} | " + string.Join(" | ", cells) + " |");
        }
    }

    /// <summary>KL(p‖q) over p's top-20 tokens, both renormalised over that set (tokens missing from q get q's smallest).</summary>
    private static double TopKl(TokenLogprob? p, TokenLogprob? q)
    {
        if (p is null || q is null)
        {
            return double.NaN;
        }

        var qMap = q.TopAlternatives.ToDictionary(a => a.TokenId, a => (double)a.Logprob);
        var floor = q.TopAlternatives.Min(a => a.Logprob);
        var ps = p.TopAlternatives.Select(a => Math.Exp(a.Logprob)).ToArray();
        var qs = p.TopAlternatives.Select(a => Math.Exp(qMap.TryGetValue(a.TokenId, out var v) ? v : floor)).ToArray();
        double pz = ps.Sum(), qz = qs.Sum(), kl = 0;
        for (var i = 0; i < ps.Length; i++)
        {
            kl += ps[i] / pz * Math.Log((ps[i] / pz) / (qs[i] / qz));
        }

        return kl;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
