using System.Globalization;
using System.Text;

namespace InferMesh.Cli.Cluster;

/// <summary>What one benchmark run measured.</summary>
internal sealed class BenchResult(string target, int sessions, int turns, int maxTokens)
{
    public string Target => target;

    public LatencyStats TimeToFirstToken { get; } = new();

    public LatencyStats InterTokenLatency { get; } = new();

    public LatencyStats EndToEnd { get; } = new();

    public long CompletionTokens;

    public long PromptTokens;

    public long CachedPromptTokens;

    public int Failures;

    public double WallSeconds { get; set; }

    public double TokensPerSecond => CompletionTokens / WallSeconds;

    public double RequestsPerSecond => EndToEnd.Count / WallSeconds;

    public IEnumerable<(string Metric, LatencyStats Stats)> Latencies =>
        [("TTFT", TimeToFirstToken), ("ITL", InterTokenLatency), ("e2e", EndToEnd)];

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"**{target}** — {sessions} concurrent sessions × {turns} turns, {maxTokens} tokens per reply (greedy, ignore_eos)");
        md.AppendLine();
        md.AppendLine("| metric | p50 (ms) | p90 (ms) | p99 (ms) | mean (ms) |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (metric, stats) in Latencies)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {metric} | {Ms(stats.Percentile(50))} | {Ms(stats.Percentile(90))} | {Ms(stats.Percentile(99))} | {Ms(stats.Mean)} |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- requests: {EndToEnd.Count} ok, {Failures} failed, in {WallSeconds:F1} s ({RequestsPerSecond:F2} req/s)");
        md.AppendLine(CultureInfo.InvariantCulture, $"- generated tokens: {CompletionTokens} ({TokensPerSecond:F1} tokens/s)");
        md.AppendLine(CultureInfo.InvariantCulture, $"- prompt tokens: {PromptTokens}, of which served from cache: {CachedPromptTokens} ({(PromptTokens == 0 ? 0 : 100.0 * CachedPromptTokens / PromptTokens):F0}%)");
        return md.ToString();
    }

    internal static string Ms(double seconds) => double.IsNaN(seconds) ? "-" : (seconds * 1000).ToString("F1", CultureInfo.InvariantCulture);
}
