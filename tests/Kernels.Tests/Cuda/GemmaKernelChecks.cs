using InferMesh.Kernels;
using static InferMesh.Kernels.Tests.Cuda.TestTensors;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// Checks of Gemma's operations (GELU(tanh)·up on packed gate|up rows, in-place scale, in-place soft cap) on any
/// backend against formulas evaluated in double, written from their definitions: torch's gelu(approximate="tanh")
/// (0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))) and transformers' soft cap (tanh(x / cap) · cap).
/// </summary>
internal static class GemmaKernelChecks
{
    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x))));

    public static void GeluTanhGlu(IComputeBackend backend, int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var gateUp = Bf16Random(random, rows * 2 * cols, 6f);
        using var tg = Upload(backend, gateUp, rows, 2 * cols);
        using var ty = Poisoned(backend, rows, cols);
        backend.GeluTanhGlu(tg, ty);
        var expected = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                expected[(r * cols) + c] = (float)(GeluTanh(gateUp[(r * 2 * cols) + c]) * gateUp[(r * 2 * cols) + cols + c]);
            }
        }

        AssertClose(Download(backend, ty), expected, KernelChecks.Tolerance(backend), $"GeluTanhGlu {rows}x{cols}");
    }

    public static void Scale(IComputeBackend backend, int rows, int cols, float factor, int seed)
    {
        var x = Bf16Random(new Random(seed), rows * cols, 3f);
        using var tx = Upload(backend, x, rows, cols);
        backend.Scale(tx, factor);
        AssertClose(Download(backend, tx), x.Select(v => v * factor).ToArray(), KernelChecks.Tolerance(backend), $"Scale {rows}x{cols} by {factor}");
    }

    /// <summary>Soft cap of F32 logits (the engine's logits are F32 on every backend), values spanning far beyond the cap.</summary>
    public static void SoftCap(IComputeBackend backend, int rows, int cols, float cap, int seed)
    {
        var x = Bf16Random(new Random(seed), rows * cols, 4 * cap);
        using var tx = Upload(backend, x, rows, cols, DType.F32);
        backend.SoftCap(tx, cap);
        var expected = x.Select(v => (float)(Math.Tanh(v / (double)cap) * cap)).ToArray();
        var actual = Download(backend, tx);
        AssertClose(actual, expected, KernelChecks.F32Tolerance, $"SoftCap {rows}x{cols} at {cap}");
        Assert.All(actual, v => Assert.InRange(v, -cap, cap));
    }
}
