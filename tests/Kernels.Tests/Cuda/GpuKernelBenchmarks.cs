using System.Globalization;
using System.Text;
using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;
using InferMesh.Kernels.Cuda.Flash;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// Measures the CUDA backend on the device: the two ceilings (copy bandwidth, bf16 GEMM rate), every kernel at
/// Llama-3.2-1B and 3.1-8B shapes for batch 1, 64 and an 8192-token prefill, the flash prefill kernel alone in its 64-
/// and 128-row variants, and whole decode steps with and without a CUDA graph. Writes markdown to INFERMESH_BENCH_OUT
/// (a file path). Category GpuBench: run on purpose, not with the tests.
/// </summary>
[Trait("Category", "GpuBench")]
[Collection("Gpu")]
public sealed partial class GpuKernelBenchmarks(CudaDeviceFixture device)
{
    private const int Context = 512;
    private readonly StringBuilder report = new();

    // How often each measured kernel runs in one decoder layer as LlamaModel runs it (packed q|k|v and gate|up), to
    // estimate a layer from the table. The separate projections and their rope/write_kv/silu_mul are measured for
    // comparison but are not part of the layer.
    private static readonly Dictionary<string, int> PerLayer = new()
    {
        ["rmsnorm"] = 2, ["qkv_proj"] = 1, ["o_proj"] = 1, ["gate_up_proj"] = 1, ["down_proj"] = 1,
        ["rope_write_qkv"] = 1, ["add"] = 2, ["swiglu"] = 1,
    };

    private double layerMs;

    [Fact]
    public void Measure_kernels_and_decode_steps_at_llama_shapes()
    {
        var backend = device.Require();
        string output = Environment.GetEnvironmentVariable("INFERMESH_BENCH_OUT") ?? Path.Combine(Path.GetTempPath(), "gpu-kernels.md");
        Header(backend);
        Line();
        double bandwidth = CopyBandwidth(backend);
        double peak = GemmPeak(backend);
        Line($"Ceilings: device-to-device copy {bandwidth:F0} GB/s (read + write); bf16 GEMM 8192³ {peak:F0} TFLOP/s.");
        Line();
        foreach (var shape in new[] { LlamaShape.Llama32_1B, LlamaShape.Llama31_8B })
        {
            foreach (int tokens in new[] { 1, 64, 8192 })
                KernelTable(backend, shape, tokens, bandwidth);
        }

        FlashPrefillTable(backend);

        Line("## Decode steps (context 512, all layers + LM head + argmax)");
        Line();
        Line("| shape | batch | projections | direct ms | graph ms | tokens/s (graph) | bytes/step GB | % of copy bandwidth |");
        Line("|---|---|---|---|---|---|---|---|");
        foreach (var shape in new[] { LlamaShape.Llama32_1B, LlamaShape.Llama31_8B })
        {
            foreach (int batch in new[] { 1, 64 })
            {
                DecodeSteps(backend, shape, batch, bandwidth, packed: false);
                DecodeSteps(backend, shape, batch, bandwidth, packed: true);
            }
        }

        Publish(output);
    }

    private double CopyBandwidth(CudaBackend backend)
    {
        using var source = backend.Allocate(32_768, 16_384);
        using var target = backend.Allocate(32_768, 16_384);
        using (var pattern = TestTensors.Upload(backend, TestTensors.Bf16Random(new Random(1), 1024 * 16_384), 1024, 16_384))
        {
            for (int start = 0; start < source.Rows; start += pattern.Rows)
                backend.Copy(pattern, source.View(start, pattern.Rows));
        }

        double ms = Time(backend, () => backend.Copy(source, target));
        return 2.0 * source.ElementCount * 2 / (ms * 1e6);
    }

    private double GemmPeak(CudaBackend backend)
    {
        const int n = 8192;
        var random = new Random(2);
        using var x = TestTensors.Upload(backend, TestTensors.Bf16Random(random, n * n), n, n);
        using var w = TestTensors.Upload(backend, TestTensors.Bf16Random(random, n * n), n, n);
        using var y = backend.Allocate(n, n);
        double ms = Time(backend, () => backend.MatMul(x, w, null, y));
        return 2.0 * n * n * n / (ms * 1e9);
    }

    private void KernelTable(CudaBackend backend, LlamaShape shape, int tokens, double bandwidth)
    {
        Line($"## {shape.Name}, {(tokens == 8192 ? "prefill" : "batch")} {tokens}");
        Line();
        Line("| kernel | shape | ms | GB/s | % copy bw | TFLOP/s |");
        Line("|---|---|---|---|---|---|");
        layerMs = 0;
        var random = new Random(tokens + shape.Hidden);
        var all = new List<DeviceTensor>();
        DeviceTensor Act(int cols, DType? type = null)
        {
            var t = TestTensors.Upload(backend, TestTensors.Bf16Random(random, tokens * cols), tokens, cols, type);
            all.Add(t);
            return t;
        }

        try
        {
            var hidden = Act(shape.Hidden);
            var normed = Act(shape.Hidden);
            var q = Act(shape.QueryWidth);
            var k = Act(shape.KvWidth);
            var v = Act(shape.KvWidth);
            var qkv = Act(shape.QueryWidth + 2 * shape.KvWidth);
            var gateUp = Act(2 * shape.Intermediate);
            var inter = Act(shape.Intermediate);
            var inter2 = Act(shape.Intermediate);
            var inter3 = Act(shape.Intermediate);
            var norm = TestTensors.Upload(backend, TestTensors.Bf16Random(random, shape.Hidden), 1, shape.Hidden);
            all.Add(norm);
            var ids = TestTensors.Upload(backend, Enumerable.Range(0, tokens).Select(_ => random.Next(shape.Vocab)).ToArray(), tokens, 1);
            all.Add(ids);
            var positions = TestTensors.Upload(backend, Enumerable.Range(0, tokens).Select(i => tokens == 8192 ? i : Context - 1).ToArray(), tokens, 1);
            all.Add(positions);
            var invFreq = TestTensors.Upload(backend, Enumerable.Range(0, shape.HeadDim / 2).Select(i => (float)Math.Pow(500000.0, -2.0 * i / shape.HeadDim)).ToArray(), 1, shape.HeadDim / 2, DType.F32);
            all.Add(invFreq);
            long act = 2L * tokens;

            using (var table = backend.Allocate(shape.Vocab, shape.Hidden))
                Row(backend, "embedding", $"{tokens}x{shape.Hidden}", () => backend.Embedding(table, ids, hidden), 2 * act * shape.Hidden, 0, bandwidth);
            Row(backend, "rmsnorm", $"{tokens}x{shape.Hidden}", () => backend.RmsNorm(hidden, norm, 1e-5f, normed), 2 * act * shape.Hidden, 0, bandwidth);
            Linear(backend, "q_proj", normed, shape.QueryWidth, q, bandwidth);
            Linear(backend, "k_proj", normed, shape.KvWidth, k, bandwidth);
            Linear(backend, "o_proj", q, shape.Hidden, hidden, bandwidth);
            Linear(backend, "gate_proj", normed, shape.Intermediate, inter, bandwidth);
            Linear(backend, "qkv_proj", normed, shape.QueryWidth + 2 * shape.KvWidth, qkv, bandwidth);
            Linear(backend, "gate_up_proj", normed, 2 * shape.Intermediate, gateUp, bandwidth);
            Linear(backend, "down_proj", inter, shape.Hidden, hidden, bandwidth);
            Row(backend, "rope q", $"{tokens}x{shape.QueryWidth}", () => backend.Rope(q, shape.HeadDim, positions, invFreq, 1f), 2 * act * shape.QueryWidth, 0, bandwidth);
            Row(backend, "add", $"{tokens}x{shape.Hidden}", () => backend.Add(hidden, normed), 3 * act * shape.Hidden, 0, bandwidth);
            Row(backend, "silu_mul", $"{tokens}x{shape.Intermediate}", () => backend.SiluMul(inter, inter2, inter3), 3 * act * shape.Intermediate, 0, bandwidth);
            Row(backend, "swiglu", $"{tokens}x{2 * shape.Intermediate}", () => backend.SwiGlu(gateUp, inter3), 3 * act * shape.Intermediate, 0, bandwidth);
            Attention(backend, shape, tokens, qkv, q, k, v, positions, invFreq, random, bandwidth);
            Line();
            Line(Invariant($"One layer ≈ {layerMs:F3} ms (sum of its kernels, launched one by one); × {shape.Layers} layers = {layerMs * shape.Layers:F2} ms") +
                (tokens == 8192 ? Invariant($", {(double)shape.LinearFlopsPerToken * tokens / (layerMs * shape.Layers * 1e9):F0} TFLOP/s of linear-layer work.") : "."));
            Line();
            Line("| kernel | shape | ms | GB/s | % copy bw | TFLOP/s |");
            Line("|---|---|---|---|---|---|");
            if (tokens <= 64)
            {
                Linear(backend, "lm_head", normed, shape.Vocab, null, bandwidth);
                using var logits = TestTensors.Upload(backend, TestTensors.Bf16Random(random, tokens * shape.Vocab), tokens, shape.Vocab, DType.F32);
                using var next = backend.Allocate(tokens, 1, DType.I32);
                Row(backend, "argmax (f32)", $"{tokens}x{shape.Vocab}", () => backend.Argmax(logits, next), 4L * tokens * shape.Vocab, 0, bandwidth);
            }
        }
        finally
        {
            foreach (var t in all)
                t.Dispose();
        }

        Line();
    }

    private void Linear(CudaBackend backend, string name, DeviceTensor x, int outFeatures, DeviceTensor? y, double bandwidth)
    {
        int tokens = x.Rows;
        long weightBytes = 2L * outFeatures * x.Cols;
        var weights = RotatedWeights(backend, outFeatures, x.Cols);
        int copies = weights.Length;

        using var output = y is null ? backend.Allocate(tokens, outFeatures) : null;
        var target = y ?? output!;
        double ms = Time(backend, () =>
        {
            foreach (var w in weights)
                backend.MatMul(x, w, null, target);
        }) / copies;
        long bytes = weightBytes + 2L * tokens * (x.Cols + outFeatures);
        long flops = 2L * tokens * outFeatures * x.Cols;
        RowMeasured(name, $"{tokens}x{x.Cols} · [{outFeatures}x{x.Cols}]ᵀ", ms, bytes, flops, bandwidth);
        foreach (var w in weights)
            w.Dispose();
    }

    /// <summary>
    /// Enough copies of a bf16 [out × in] weight to overflow the 50 MB L2, so decode-sized products read memory (one
    /// copy when it alone is larger), filled from a random pattern.
    /// </summary>
    private static DeviceTensor[] RotatedWeights(CudaBackend backend, int outFeatures, int inFeatures)
    {
        long weightBytes = 2L * outFeatures * inFeatures;
        int copies = (int)Math.Clamp((256L << 20) / weightBytes, 1, 16);
        var weights = Enumerable.Range(0, copies).Select(_ => backend.Allocate(outFeatures, inFeatures)).ToArray();
        int patternRows = Math.Max(1, Math.Min(outFeatures, (1 << 24) / inFeatures));
        using (var pattern = TestTensors.Upload(backend, TestTensors.Bf16Random(new Random(outFeatures), patternRows * inFeatures, 0.05f), patternRows, inFeatures))
        {
            foreach (var w in weights)
            {
                for (int start = 0; start < outFeatures; start += patternRows)
                {
                    int rows = Math.Min(patternRows, outFeatures - start);
                    backend.Copy(pattern.View(0, rows), w.View(start, rows));
                }
            }
        }

        return weights;
    }

    private void Attention(CudaBackend backend, LlamaShape shape, int tokens, DeviceTensor qkv, DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor positions, DeviceTensor invFreq, Random random, double bandwidth)
    {
        const int blockSize = 16;
        bool prefill = tokens == 8192;
        int sequences = prefill ? 1 : tokens;
        int context = prefill ? tokens : Context;
        int blocks = (context + blockSize - 1) / blockSize;
        int slots = sequences * blocks * blockSize;
        var attentionShape = new AttentionShape(shape.Heads, shape.KvHeads, shape.HeadDim, 1 / MathF.Sqrt(shape.HeadDim), 0, blockSize);
        using var pattern = TestTensors.Upload(backend, TestTensors.Bf16Random(random, Math.Min(slots, 65_536) * shape.KvWidth), Math.Min(slots, 65_536), shape.KvWidth);
        using var keyCache = backend.Allocate(slots, shape.KvWidth);
        using var valueCache = backend.Allocate(slots, shape.KvWidth);
        for (int start = 0; start < slots; start += pattern.Rows)
        {
            int rows = Math.Min(pattern.Rows, slots - start);
            backend.Copy(pattern.View(0, rows), keyCache.View(start, rows));
            backend.Copy(pattern.View(0, rows), valueCache.View(start, rows));
        }

        using var sequenceIds = TestTensors.Upload(backend, Enumerable.Range(0, tokens).Select(i => prefill ? 0 : i).ToArray(), tokens, 1);
        using var tables = TestTensors.Upload(backend, Enumerable.Range(0, sequences * blocks).ToArray(), sequences, blocks);
        using var slotIds = TestTensors.Upload(backend, Enumerable.Range(0, tokens).Select(i => prefill ? i : i * blocks * blockSize + context - 1).ToArray(), tokens, 1);
        using var output = backend.Allocate(tokens, shape.QueryWidth);
        using var lse = backend.Allocate(tokens, shape.Heads, DType.F32);
        var batch = new AttentionBatch(sequenceIds, positions, tables, context);
        Row(backend, "write_kv", $"{tokens}x{shape.KvWidth}", () => backend.WriteKv(k, v, keyCache, valueCache, slotIds), 4L * tokens * shape.KvWidth * 2, 0, bandwidth);
        Row(backend, "rope_write_qkv", $"{tokens}x{qkv.Cols}", () => backend.RopeWriteQkv(qkv, shape.HeadDim, positions, invFreq, 1f, q, keyCache, valueCache, slotIds), 2L * 2 * tokens * qkv.Cols, 0, bandwidth);
        double pairs = prefill ? (double)tokens * (tokens + 1) / 2 : (double)tokens * context;
        long bytes = (long)(prefill ? 2.0 * slots * shape.KvWidth * 2 : pairs * shape.KvWidth * 2 * 2) + 4L * tokens * shape.QueryWidth;
        Row(backend, prefill ? "attention (prefill, causal)" : "attention (decode, ctx 512)", $"{tokens} rows, {shape.Heads}/{shape.KvHeads} heads, d={shape.HeadDim}",
            () => backend.PagedAttention(q, keyCache, valueCache, batch, attentionShape, output, lse), bytes, (long)(4 * pairs * shape.Heads * shape.HeadDim), bandwidth);
    }

    private void DecodeSteps(CudaBackend backend, LlamaShape shape, int batch, double bandwidth, bool packed)
    {
        using var model = new DecodeStepModel(backend, shape, batch, Context, new Random(batch), packed);
        model.Step();
        double direct = Time(backend, model.Step, 10);
        backend.BeginCapture();
        model.Step();
        using var graph = backend.EndCapture();
        graph.Replay();
        double replay = Time(backend, graph.Replay, 10);
        long bytes = model.BytesPerStep(Context);
        double share = bytes / (replay * 1e6) / bandwidth * 100;
        Line(Invariant($"| {shape.Name} | {batch} | {(packed ? "packed" : "separate")} | {direct:F3} | {replay:F3} | {batch * 1000 / replay:F0} | {bytes / 1e9:F2} | {share:F0}% |"));
    }

    private void Row(CudaBackend backend, string name, string shapeText, Action body, long bytes, long flops, double bandwidth) =>
        RowMeasured(name, shapeText, Time(backend, body), bytes, flops, bandwidth);

    private void RowMeasured(string name, string shapeText, double ms, long bytes, long flops, double bandwidth)
    {
        layerMs += ms * (PerLayer.TryGetValue(name, out int times) ? times : name.StartsWith("attention", StringComparison.Ordinal) ? 1 : 0);
        double gbs = bytes / (ms * 1e6);
        string tflops = flops > 0 ? (flops / (ms * 1e9)).ToString("F1", CultureInfo.InvariantCulture) : "";
        Line(Invariant($"| {name} | {shapeText} | {ms:F4} | {gbs:F0} | {gbs / bandwidth * 100:F0}% | {tflops} |"));
    }

    private static double Time(CudaBackend backend, Action body, int repeats = 20)
    {
        body();
        body();
        return backend.MedianMilliseconds(body, repeats);
    }

    private void Line(string text = "") => report.AppendLine(text);

    /// <summary>The device, cuBLAS, date, commit and timing method every report starts with.</summary>
    private void Header(CudaBackend backend)
    {
        Line($"Device: {backend.DeviceName}, {backend.TotalMemoryBytes / (1 << 30)} GiB; cuBLAS: {backend.CublasPath}");
        Line($"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; commit: {Environment.GetEnvironmentVariable("INFERMESH_COMMIT") ?? "unknown"}");
        Line("Times are medians of CUDA-event timings after warm-up; weights rotate over copies larger than L2 where they would fit in it.");
    }

    /// <summary>Writes the report to <paramref name="path"/> and the test output.</summary>
    private void Publish(string path)
    {
        File.WriteAllText(path, report.ToString());
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
