using System.CommandLine;
using System.Globalization;
using System.Text;
using InferMesh.Cli.Benchmarks;
using InferMesh.Engine.SequenceParallel;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh tokenring-model</c>: the ring cost model's predicted prefill time for N = 2, 4, 8 and 32k–1M tokens,
/// both schedules, as markdown. Defaults are H100 measurements (bench/results/gpu-kernels.md) and the NVLink 4 spec.
/// </summary>
internal static class TokenRingModelCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = "model shape whose measured defaults to use: 8b (llama-3.1-8b) or 1b (llama-3.2-1b)", DefaultValueFactory = _ => "8b" };
        var linear = new Option<double?>("--linear-us-per-token") { Description = "non-attention time per prompt token, all layers, µs (default: measured, see output)" };
        var attention = new Option<double?>("--attention-tflops") { Description = "causal prefill attention throughput, TFLOP/s (default: measured, see output)" };
        var link = new Option<double>("--link-gbps") { Description = "per-device bandwidth per direction, GB/s (default: NVLink 4 spec, 18 links × 25 GB/s)", DefaultValueFactory = _ => 450 };
        var memory = new Option<double>("--device-memory-gb") { Description = "memory per device, GB (default: H200, 141 GB)", DefaultValueFactory = _ => 141 };
        var command = new Command("tokenring-model", "predict sequence-parallel prefill time (TokenRing vs one-way ring) from measured inputs; prints markdown")
        {
            shape, linear, attention, link, memory,
        };
        command.SetAction(result =>
        {
            var preset = Preset(result.GetValue(shape)!);
            var inputs = preset.Inputs with
            {
                LinearSecondsPerToken = result.GetValue(linear) is { } us ? us * 1e-6 : preset.Inputs.LinearSecondsPerToken,
                AttentionFlopsPerSecond = result.GetValue(attention) is { } tf ? tf * 1e12 : preset.Inputs.AttentionFlopsPerSecond,
                LinkBytesPerSecond = result.GetValue(link) * 1e9,
                DeviceMemoryBytes = result.GetValue(memory) * 1e9,
            };
            Console.Write(Render(new RingCostModel(inputs), preset.Source, result.GetValue(linear) is null, result.GetValue(attention) is null));
            return 0;
        });
        return command;
    }

    private static (RingCostInputs Inputs, string Source) Preset(string shape)
    {
        // Sum of one layer's kernels and its causal attention kernel at 8192 rows, bench/results/gpu-kernels.md.
        (int layers, int heads, int kvHeads, int headDim, double layerMs, double attentionMs, double attentionTflops, double parameters, string table) = shape.ToLowerInvariant() switch
        {
            "8b" => (32, 32, 8, 128, 13.753, 8.4038, 65.4, 8.03e9, "llama-3.1-8b, prefill 8192"),
            "1b" => (16, 32, 8, 64, 10.216, 8.2922, 33.2, 1.24e9, "llama-3.2-1b, prefill 8192"),
            _ => throw new ArgumentException($"--shape {shape} is not known; use 8b or 1b, or give --linear-us-per-token and --attention-tflops with the nearest shape."),
        };
        double linearSeconds = layers * (layerMs - attentionMs) * 1e-3 / 8192;
        var inputs = new RingCostInputs(shape, layers, heads, kvHeads, headDim, linearSeconds, attentionTflops * 1e12, 450e9, 2, 141e9, parameters * 2);
        var source = $"bench/results/gpu-kernels.md, table \"{table}\" (H100): one layer {layerMs} ms of kernels of which causal attention {attentionMs} ms, "
            + $"so non-attention = {layers} × ({layerMs} − {attentionMs}) ms / 8192 tokens";
        return (inputs, source);
    }

    private static string Render(RingCostModel model, string source, bool linearMeasured, bool attentionMeasured)
    {
        var i = model.Inputs;
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"Shape {i.Shape}: {i.Layers} layers, {i.Heads} query / {i.KvHeads} KV heads, head dim {i.HeadDim}; bf16 on the wire, fp32 LSE.");
        s.AppendLine();
        s.AppendLine("| input | value | source |");
        s.AppendLine("|---|---|---|");
        s.AppendLine(c, $"| non-attention time per token (all layers) | {i.LinearSecondsPerToken * 1e6:F2} µs | {(linearMeasured ? "measured: " + source : "given (--linear-us-per-token)")} |");
        s.AppendLine(c, $"| causal attention throughput | {i.AttentionFlopsPerSecond / 1e12:F1} TFLOP/s | {(attentionMeasured ? "measured: same table, attention (prefill, causal) 8192 rows" : "given (--attention-tflops), not a measurement")} |");
        s.AppendLine(c, $"| link bandwidth per device per direction | {i.LinkBytesPerSecond / 1e9:F0} GB/s | NVLink 4 specification (18 links × 25 GB/s, H100/H200 HGX via NVSwitch) unless --link-gbps; not measured |");
        s.AppendLine(c, $"| device memory | {i.DeviceMemoryBytes / 1e9:F0} GB | H200 specification unless --device-memory-gb |");
        s.AppendLine(c, $"| weights per member | {i.WeightBytes / 1e9:F1} GB | bf16 parameter count of the shape |");
        s.AppendLine();
        RingPredictionTable.Append(s, model);
        return s.ToString();
    }
}
