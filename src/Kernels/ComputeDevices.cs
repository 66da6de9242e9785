using InferMesh.Kernels.Cpu;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels;

/// <summary>Opens a compute backend from a device name: "cpu", or "cuda"/"cuda:N" for an NVIDIA GPU.</summary>
public static class ComputeDevices
{
    public static IComputeBackend Open(string device, int? cpuThreads = null)
    {
        var spec = (device ?? "cpu").Trim().ToLowerInvariant();
        if (spec == "cpu")
        {
            return new CpuBackend(cpuThreads);
        }

        if (spec == "cuda" || spec.StartsWith("cuda:", StringComparison.Ordinal))
        {
            var index = spec == "cuda" ? 0 : int.TryParse(spec.AsSpan(5), out var i) && i >= 0 ? i : throw new ArgumentException($"device '{device}': expected cuda:N with N a GPU index (0, 1, ...).", nameof(device));
            return OpenCuda(index);
        }

        throw new ArgumentException($"unknown device '{device}': use cpu, cuda or cuda:N.", nameof(device));
    }

    private static IComputeBackend OpenCuda(int index)
    {
        if (CudaBackend.UnavailableReason() is { } reason)
        {
            throw new PlatformNotSupportedException($"device cuda:{index} requested, but no CUDA device can be used: {reason}. Use --device cpu.");
        }

        return new CudaBackend(index);
    }
}
