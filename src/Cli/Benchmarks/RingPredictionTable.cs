using System.Globalization;
using System.Text;
using InferMesh.Engine.SequenceParallel;

namespace InferMesh.Cli.Benchmarks;

/// <summary>The cost model's predictions as markdown: prefill time for 1 device and N = 2, 4, 8 at 32k–1M tokens, both schedules, and bytes sent.</summary>
internal static class RingPredictionTable
{
    private static readonly int[] Members = [2, 4, 8];
    private static readonly int[] Lengths = [32, 64, 128, 256, 512, 1024];

    public static void Append(StringBuilder s, RingCostModel model)
    {
        var c = CultureInfo.InvariantCulture;
        s.AppendLine("Predicted prefill time (seconds; in brackets the part waiting on transfers; * = weights + KV do not fit one device):");
        s.AppendLine();
        s.Append("| tokens | 1 device |");
        foreach (var n in Members)
        {
            s.Append(c, $" N={n} TokenRing | N={n} one-way |");
        }

        s.AppendLine();
        s.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---|---|", Members.Length)));
        foreach (var k in Lengths)
        {
            long length = k * 1024L;
            s.Append(c, $"| {Label(k)} | {Cell(model.SingleDevice(length))} |");
            foreach (var n in Members)
            {
                s.Append(c, $" {Cell(model.Predict(RingScheduleKind.TokenRing, n, length))} | {Cell(model.Predict(RingScheduleKind.OneWayRing, n, length))} |");
            }

            s.AppendLine();
        }

        s.AppendLine();
        s.AppendLine("Bytes each member sends over the whole prefill (GB), TokenRing / one-way:");
        s.AppendLine();
        s.AppendLine("| tokens |" + string.Concat(Members.Select(n => $" N={n} |")));
        s.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", Members.Length)));
        foreach (var k in new[] { 32, 128, 1024 })
        {
            long length = k * 1024L;
            s.Append(c, $"| {Label(k)} |");
            foreach (var n in Members)
            {
                s.Append(c, $" {model.Predict(RingScheduleKind.TokenRing, n, length).BytesSentPerMember / 1e9:F1} / {model.Predict(RingScheduleKind.OneWayRing, n, length).BytesSentPerMember / 1e9:F1} |");
            }

            s.AppendLine();
        }
    }

    public static string Cell(RingPrediction p) =>
        string.Create(CultureInfo.InvariantCulture, $"{p.Seconds:F2}{(p.ExposedTransferSeconds > 0 ? $" ({p.ExposedTransferSeconds:F3})" : "")}{(p.Fits ? "" : "*")}");

    private static string Label(int k) => k == 1024 ? "1M" : k + "k";
}
