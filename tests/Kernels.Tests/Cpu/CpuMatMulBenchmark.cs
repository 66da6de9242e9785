using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using InferMesh.Kernels.Cpu;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>
/// Stopwatch measurements behind the CPU backend's design choices (numbers recorded in CpuMatMul's comment).
/// Prints only; runs only when INFERMESH_BENCH=1, so CI skips the cost:
/// <c>INFERMESH_BENCH=1 dotnet test tests/Kernels.Tests -c Release --filter FullyQualifiedName~CpuMatMulBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class CpuMatMulBenchmark(ITestOutputHelper output)
{
    private const int Outputs = 1024, Inputs = 4096, TileRows = 16;

    private static bool Enabled => Environment.GetEnvironmentVariable("INFERMESH_BENCH") == "1";

    [Fact]
    public void Measure_gemv_gemm_and_bf16_strategies()
    {
        if (!Enabled)
        {
            return;
        }

        output.WriteLine($"{Environment.ProcessorCount} logical processors, Vector512 accelerated: {Vector512.IsHardwareAccelerated}");
        MeasureCopyBandwidth();

        using var backend = new CpuBackend();
        float[] weights = CpuTestData.Random(Outputs * Inputs, 80, 0.02f);
        DeviceTensor w = backend.Tensor(weights, Outputs, Inputs);
        foreach (int rows in new[] { 1, 16, 64 })
        {
            DeviceTensor x = backend.Tensor(CpuTestData.Random(rows * Inputs, 81), rows, Inputs);
            DeviceTensor y = backend.Allocate(rows, Outputs);
            double seconds = Time(() => backend.MatMul(x, w, null, y), rows == 1 ? 400 : 60);
            Report($"{Outputs}x{Inputs} backend MatMul fp32, {rows} row(s)", seconds, (long)rows * Outputs * Inputs, Outputs * Inputs * 4L);
        }

        // Convert-on-load vs on-the-fly: the same 4-row GEMV over fp32 and over bf16 weights, at the 16 MB size above
        // (cache-resident here) and at 8192×8192 (256 MB fp32 / 128 MB bf16: DRAM-bound, like real decode).
        foreach ((int outputs, int inputs) in new[] { (Outputs, Inputs), (8192, 8192) })
        {
            float[] fp32 = outputs == Outputs ? weights : CpuTestData.Random(outputs * inputs, 83, 0.02f);
            var bf16 = new ushort[fp32.Length];
            FloatConversion.SingleToBFloat16(fp32, bf16);
            float[] vector = CpuTestData.Random(inputs, 84);
            var result = new float[outputs];
            long macs = (long)outputs * inputs;
            Report($"{outputs}x{inputs} GEMV, fp32 weights converted on load", Time(() => ParallelGemv(fp32, vector, result, outputs, inputs), 100), macs, macs * 4);
            Report($"{outputs}x{inputs} GEMV, bf16 weights widened per call", Time(() => ParallelGemvBFloat16(bf16, vector, result, outputs, inputs), 100), macs, macs * 2);
            if (outputs == Outputs)
            {
                var scratch = new float[fp32.Length];
                DeviceTensor converted = backend.Allocate(outputs, inputs);
                DeviceTensor x1 = backend.Tensor(vector, 1, inputs);
                DeviceTensor y1 = backend.Allocate(1, outputs);
                Report(
                    $"{outputs}x{inputs} GEMV, bf16 converted to an fp32 copy per call, then MatMul",
                    Time(
                        () =>
                        {
                            FloatConversion.BFloat16ToSingle(MemoryMarshal.AsBytes(bf16.AsSpan()), scratch);
                            backend.Upload(scratch, converted);
                            backend.MatMul(x1, converted, null, y1);
                        },
                        60),
                    macs,
                    macs * 2);
            }
            else
            {
                DeviceTensor big = backend.Tensor(fp32, outputs, inputs);
                DeviceTensor bigX = backend.Tensor(vector, 1, inputs);
                DeviceTensor bigY = backend.Allocate(1, outputs);
                Report($"{outputs}x{inputs} backend MatMul fp32, 1 row", Time(() => backend.MatMul(bigX, big, null, bigY), 30), macs, macs * 4);
            }
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Parallel.For(0, 64, _ => { });
        }

        output.WriteLine($"Parallel.For allocates {(GC.GetAllocatedBytesForCurrentThread() - before) / 100} bytes per call on the calling thread");
    }

    [Theory]
    [InlineData(32, 8)]
    [InlineData(32, 1)]
    [InlineData(8, 8)]
    public void Measure_decode_attention(int heads, int kvHeads)
    {
        if (!Enabled)
        {
            return;
        }

        // Head size 128 (Llama-3-8B has 32 query and 8 KV heads); 16 sequences decoding at context 1024.
        const int sequences = 16, context = 1024;
        var shape = new AttentionShape(heads, kvHeads, 128, 1f / MathF.Sqrt(128), 0, 16);
        var data = new PagedAttentionCase(shape, Enumerable.Repeat(context, sequences).ToArray(), seed: 85);
        using var backend = new CpuBackend();
        var tables = new int[data.BlockTables.Length];
        Buffer.BlockCopy(data.BlockTables, 0, tables, 0, tables.Length * sizeof(int));
        var batch = new AttentionBatch(
            backend.Column(Enumerable.Range(0, sequences).ToArray()),
            backend.Column(Enumerable.Repeat(context - 1, sequences).ToArray()),
            backend.Ints(tables, sequences, data.MaxBlocks),
            context);
        DeviceTensor q = backend.Tensor(data.Queries(sequences, 86), sequences, shape.QueryWidth);
        DeviceTensor keys = backend.Tensor(data.KeyCache, data.CacheSlots, shape.KvWidth);
        DeviceTensor values = backend.Tensor(data.ValueCache, data.CacheSlots, shape.KvWidth);
        DeviceTensor o = backend.Allocate(sequences, shape.QueryWidth);
        DeviceTensor lse = backend.Allocate(sequences, shape.NumHeads);

        double seconds = Time(() => backend.PagedAttention(q, keys, values, batch, shape, o, lse), 20);
        long kvBytes = 2L * sequences * context * shape.KvWidth * sizeof(float);
        output.WriteLine($"decode attention, {sequences} sequences at context {context}, {heads}/{kvHeads} heads of 128: {seconds * 1e3:F2} ms, KV read at {kvBytes / seconds / 1e9:F1} GB/s");
    }

    private void MeasureCopyBandwidth()
    {
        var a = new float[32 << 20];
        var b = new float[32 << 20];
        double seconds = Time(() => a.AsSpan().CopyTo(b), 10);
        output.WriteLine($"memcpy 128 MB: {2.0 * a.Length * 4 / seconds / 1e9:F1} GB/s (read + write)");
    }

    private void Report(string what, double seconds, long multiplyAdds, long weightBytes)
    {
        double gflops = 2.0 * multiplyAdds / seconds / 1e9;
        output.WriteLine($"{what}: {seconds * 1e3:F3} ms, {gflops:F1} GFLOP/s, weights read at {weightBytes / seconds / 1e9:F1} GB/s");
    }

    /// <summary>Best of <paramref name="iterations"/> timed calls after half a second of warm-up (so the JIT has tiered up).</summary>
    private static double Time(Action action, int iterations)
    {
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed.TotalSeconds < 0.5)
        {
            action();
        }

        double best = double.MaxValue;
        var watch = new Stopwatch();
        for (int i = 0; i < iterations; i++)
        {
            watch.Restart();
            action();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return best;
    }

    /// <summary>GEMV over fp32 weights, 4 weight rows per pass (the shape of the backend's Dot4x1 kernel).</summary>
    private static void ParallelGemv(float[] weights, float[] x, float[] y, int outputs, int inputs) =>
        Parallel.For(0, outputs / TileRows, tile =>
        {
            ref float xs = ref x[0];
            for (int o = tile * TileRows; o < (tile + 1) * TileRows; o += 4)
            {
                ref float w0 = ref weights[(long)o * inputs];
                ref float w1 = ref Unsafe.Add(ref w0, inputs);
                ref float w2 = ref Unsafe.Add(ref w1, inputs);
                ref float w3 = ref Unsafe.Add(ref w2, inputs);
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int k = 0; k < inputs; k += 8)
                {
                    Vector256<float> xv = Vector256.LoadUnsafe(ref xs, (nuint)k);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w0, (nuint)k), xv, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w1, (nuint)k), xv, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w2, (nuint)k), xv, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w3, (nuint)k), xv, a3);
                }

                y[o] = Vector256.Sum(a0);
                y[o + 1] = Vector256.Sum(a1);
                y[o + 2] = Vector256.Sum(a2);
                y[o + 3] = Vector256.Sum(a3);
            }
        });

    /// <summary>The same GEMV over bf16 weights widened to fp32 in registers (exact, so the same products).</summary>
    private static void ParallelGemvBFloat16(ushort[] weights, float[] x, float[] y, int outputs, int inputs) =>
        Parallel.For(0, outputs / TileRows, tile =>
        {
            ref float xs = ref x[0];
            for (int o = tile * TileRows; o < (tile + 1) * TileRows; o += 4)
            {
                ref ushort w0 = ref weights[(long)o * inputs];
                ref ushort w1 = ref Unsafe.Add(ref w0, inputs);
                ref ushort w2 = ref Unsafe.Add(ref w1, inputs);
                ref ushort w3 = ref Unsafe.Add(ref w2, inputs);
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int k = 0; k < inputs; k += 16)
                {
                    Vector256<float> xl = Vector256.LoadUnsafe(ref xs, (nuint)k);
                    Vector256<float> xh = Vector256.LoadUnsafe(ref xs, (nuint)(k + 8));
                    (Vector256<uint> l0, Vector256<uint> h0) = Vector256.Widen(Vector256.LoadUnsafe(ref w0, (nuint)k));
                    (Vector256<uint> l1, Vector256<uint> h1) = Vector256.Widen(Vector256.LoadUnsafe(ref w1, (nuint)k));
                    (Vector256<uint> l2, Vector256<uint> h2) = Vector256.Widen(Vector256.LoadUnsafe(ref w2, (nuint)k));
                    (Vector256<uint> l3, Vector256<uint> h3) = Vector256.Widen(Vector256.LoadUnsafe(ref w3, (nuint)k));
                    a0 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(l0, 16).AsSingle(), xl, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(l1, 16).AsSingle(), xl, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(l2, 16).AsSingle(), xl, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(l3, 16).AsSingle(), xl, a3);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(h0, 16).AsSingle(), xh, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(h1, 16).AsSingle(), xh, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(h2, 16).AsSingle(), xh, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(h3, 16).AsSingle(), xh, a3);
                }

                y[o] = Vector256.Sum(a0);
                y[o + 1] = Vector256.Sum(a1);
                y[o + 2] = Vector256.Sum(a2);
                y[o + 3] = Vector256.Sum(a3);
            }
        });
}
