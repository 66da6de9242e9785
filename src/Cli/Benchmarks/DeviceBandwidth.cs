using System.Diagnostics;
using InferMesh.Kernels;

namespace InferMesh.Cli.Benchmarks;

/// <summary>Measures a device's copy bandwidth (bytes read + bytes written per second) with the backend's own Copy.</summary>
internal static class DeviceBandwidth
{
    public static double Measure(IComputeBackend backend)
    {
        const int rows = 16384, cols = 16384; // 256M elements: 512 MiB in bf16, 1 GiB in fp32
        var type = backend.CacheType;
        using var a = backend.Allocate(rows, cols, type);
        using var b = backend.Allocate(rows, cols, type);
        backend.Copy(a, b);
        backend.Synchronize();
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            backend.Copy(a, b);
            backend.Synchronize();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        var bytes = 2.0 * rows * cols * (type is DType.BF16 or DType.F16 ? 2 : 4);
        return bytes / best;
    }
}
