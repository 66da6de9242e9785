using InferMesh.Kernels;
using InferMesh.Kernels.Cpu;
using InferMesh.Kernels.Cuda;
using static InferMesh.Kernels.Tests.Cuda.TestTensors;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The CUDA C GEMV kernel (MatMul over 1..8 rows) against its CPU twin, the CPU backend's MatMul, on the same 16-bit
/// inputs: bf16 and fp16, 16-bit and fp32 outputs, odd and model-sized shapes (tails of K, partial row tiles, empty
/// K splits). Also: the kernel is what ran, it replays inside a CUDA graph, and what it does not take (more than 8
/// rows, input features not a multiple of 8) still goes through cuBLAS and matches.
/// </summary>
[Trait("Category", "Gpu")]
[Collection("Gpu")]
public sealed class GemvKernelTests(CudaDeviceFixture device)
{
    /// <summary>
    /// fp32 outputs: both sides accumulate in fp32, in different orders (and tensor-core adds truncate): ~1e-6. One
    /// dropped term of K ≤ 14336 random products is already ~1e-2 (1/√K).
    /// </summary>
    private const double F32OutputTolerance = 1e-4;

    /// <summary>16-bit outputs against the CPU result rounded to the same type: only rare one-ulp rounding flips differ.</summary>
    private const double HalfOutputTolerance = 1e-3;

    /// <summary>(rows, output features, input features): rows 1..8; N of one row, a partial 16-row tile, many tiles, a
    /// vocabulary; K of one 8-element chunk, with a tail past whole 128-k iterations, and the Llama widths.</summary>
    private static readonly (int Rows, int OutFeatures, int InFeatures)[] Shapes =
    [
        (1, 1, 8),
        (2, 7, 64),
        (8, 129, 8),
        (3, 129, 2056),
        (5, 2048, 4096),
        (8, 6144, 4096),
        (1, 2048, 14336),
        (8, 1024, 14336),
        (5, 7, 14336),
        (2, 16_411, 2048),
        (3, 128_256, 64),
    ];

    public static TheoryData<DType, bool, int, int, int> Cases()
    {
        var data = new TheoryData<DType, bool, int, int, int>();
        foreach (DType type in new[] { DType.BF16, DType.F16 })
        {
            foreach (bool f32Output in new[] { false, true })
            {
                foreach (var (rows, outFeatures, inFeatures) in Shapes)
                    data.Add(type, f32Output, rows, outFeatures, inFeatures);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gemv_matches_the_cpu_backend(DType type, bool f32Output, int rows, int outFeatures, int inFeatures)
    {
        var backend = Backend(type);
        long before = backend.GemvLaunches;
        MatchesCpu(backend, type, rows, outFeatures, inFeatures, f32Output, withBias: false, seed: rows * 7 + outFeatures + inFeatures);
        Assert.True(backend.GemvLaunches == before + 1, $"{rows}x{inFeatures} · [{outFeatures}x{inFeatures}]ᵀ ({type}) should run as one GEMV launch");
    }

    [Fact]
    public void Bias_is_added_after_the_gemv()
    {
        var backend = device.Require();
        long before = backend.GemvLaunches;
        MatchesCpu(backend, DType.BF16, 3, 1030, 2048, f32Output: true, withBias: true, seed: 11);
        Assert.Equal(before + 1, backend.GemvLaunches);
    }

    [Theory]
    [InlineData(9, 2048, 4096)]
    [InlineData(16, 129, 64)]
    [InlineData(64, 1024, 2048)]
    public void Rows_beyond_eight_go_through_cublas_and_match(int rows, int outFeatures, int inFeatures)
    {
        var backend = device.Require();
        long before = backend.GemvLaunches;
        MatchesCpu(backend, DType.BF16, rows, outFeatures, inFeatures, f32Output: true, withBias: false, seed: rows + outFeatures);
        Assert.Equal(before, backend.GemvLaunches);
    }

    [Theory]
    [InlineData(1, 129, 33)]
    [InlineData(8, 2048, 4097)]
    public void Input_features_not_a_multiple_of_eight_go_through_cublas_and_match(int rows, int outFeatures, int inFeatures)
    {
        var backend = device.Require();
        long before = backend.GemvLaunches;
        MatchesCpu(backend, DType.BF16, rows, outFeatures, inFeatures, f32Output: true, withBias: false, seed: inFeatures);
        Assert.Equal(before, backend.GemvLaunches);
    }

    [Fact]
    public void Turning_the_gemv_off_runs_cublas_with_the_same_result()
    {
        var backend = device.Require();
        var random = new Random(12);
        const int rows = 4, outFeatures = 3000, inFeatures = 4096;
        using var x = Upload(backend, Bf16Random(random, rows * inFeatures), rows, inFeatures);
        using var w = backend.LoadWeight(KernelChecks.Bf16Bytes(Bf16Random(random, outFeatures * inFeatures, 0.5f)), DType.BF16, outFeatures, inFeatures);
        using var y = Poisoned(backend, rows, outFeatures, DType.F32);
        long before = backend.GemvLaunches;
        backend.MatMul(x, w, null, y);
        Assert.Equal(before + 1, backend.GemvLaunches);
        var gemv = Download(backend, y);

        bool saved = backend.UseGemv;
        backend.UseGemv = false;
        try
        {
            using var cublasY = Poisoned(backend, rows, outFeatures, DType.F32);
            backend.MatMul(x, w, null, cublasY);
            Assert.Equal(before + 1, backend.GemvLaunches);
            AssertClose(gemv, Download(backend, cublasY), F32OutputTolerance, "GEMV vs cuBLAS");
        }
        finally
        {
            backend.UseGemv = saved;
        }
    }

    [Fact]
    public void Captured_gemv_replays_on_new_inputs()
    {
        var backend = device.Require();
        var random = new Random(13);
        const int rows = 2, outFeatures = 515, inFeatures = 1024;
        using var x = backend.Allocate(rows, inFeatures);
        using var w = backend.LoadWeight(KernelChecks.Bf16Bytes(Bf16Random(random, outFeatures * inFeatures, 0.5f)), DType.BF16, outFeatures, inFeatures);
        using var y = backend.Allocate(rows, outFeatures, DType.F32);
        var first = Bf16Random(random, rows * inFeatures);
        var second = Bf16Random(random, rows * inFeatures);
        backend.Upload(first, x);
        backend.MatMul(x, w, null, y);
        var directFirst = Download(backend, y);
        backend.Upload(second, x);
        backend.MatMul(x, w, null, y);
        var directSecond = Download(backend, y);

        long before = backend.GemvLaunches;
        backend.BeginCapture();
        backend.MatMul(x, w, null, y);
        using var graph = backend.EndCapture();
        Assert.Equal(before + 1, backend.GemvLaunches);

        // y holds the second product now: the first must come from the replay.
        backend.Upload(first, x);
        graph.Replay();
        Assert.Equal(directFirst, Download(backend, y));
        backend.Upload(second, x);
        graph.Replay();
        Assert.Equal(directSecond, Download(backend, y));
    }

    private CudaBackend Backend(DType type) => type == DType.F16 ? device.RequireF16() : device.Require();

    /// <summary>MatMul on <paramref name="backend"/> (activations of <paramref name="type"/>) against the CPU backend on the same values.</summary>
    private static void MatchesCpu(CudaBackend backend, DType type, int rows, int outFeatures, int inFeatures, bool f32Output, bool withBias, int seed)
    {
        Assert.Equal(type, backend.ActivationType);
        var random = new Random(seed);
        var x = Representable(Bf16Random(random, rows * inFeatures), type);
        var w = Representable(Bf16Random(random, outFeatures * inFeatures, 0.5f), type);
        var bias = withBias ? Representable(Bf16Random(random, outFeatures), type) : null;

        float[] expected;
        using (var cpu = new CpuBackend(2))
        {
            using var cx = Upload(cpu, x, rows, inFeatures);
            using var cw = cpu.LoadWeight(Bytes(w, type), type, outFeatures, inFeatures);
            using var cb = bias is null ? null : cpu.LoadWeight(Bytes(bias, type), type, 1, outFeatures);
            using var cy = cpu.Allocate(rows, outFeatures);
            cpu.MatMul(cx, cw, cb, cy);
            expected = Download(cpu, cy);
        }

        using var gx = Upload(backend, x, rows, inFeatures);
        using var gw = backend.LoadWeight(Bytes(w, type), type, outFeatures, inFeatures);
        using var gb = bias is null ? null : backend.LoadWeight(Bytes(bias, type), type, 1, outFeatures);
        using var gy = Poisoned(backend, rows, outFeatures, f32Output ? DType.F32 : type);
        backend.MatMul(gx, gw, gb, gy);
        var actual = Download(backend, gy);

        string what = $"MatMul {rows}x{inFeatures} · [{outFeatures}x{inFeatures}]ᵀ {type} → {(f32Output ? DType.F32 : type)} bias={withBias}";
        if (f32Output)
            AssertClose(actual, expected, F32OutputTolerance, what);
        else
            AssertClose(actual, Representable(expected, type), HalfOutputTolerance, what);
    }

    /// <summary>The values rounded to <paramref name="type"/> (bf16 or fp16), so device and CPU see identical inputs.</summary>
    private static float[] Representable(float[] values, DType type) =>
        type == DType.F16 ? values.Select(v => (float)(Half)v).ToArray() : values.Select(RoundToBf16).ToArray();

    private static byte[] Bytes(float[] values, DType type)
    {
        if (type == DType.BF16)
            return KernelChecks.Bf16Bytes(values);
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), BitConverter.HalfToUInt16Bits((Half)values[i]));
        return bytes;
    }
}
