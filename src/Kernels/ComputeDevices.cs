using InferMesh.Kernels.Cpu;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels;

/// <summary>Opens a compute backend from a device name: "cpu", or "cuda"/"cuda:N" for an NVIDIA GPU.</summary>
public static class ComputeDevices
{
    /// <param name="device">"cpu", "cuda" or "cuda:N".</param>
    /// <param name="cpuThreads">CPU threads (CPU backend only; null = all cores).</param>
    /// <param name="activationType">
    /// The type of activations and the KV cache: F32, BF16 or F16 on CUDA (the CPU backend computes in F32 only);
    /// null = auto: on CUDA the checkpoint's type (<paramref name="checkpointType"/>: an fp32 checkpoint runs in F32 as
    /// transformers runs it, bf16 in BF16, fp16 in F16), BF16 when that is not given.
    /// </param>
    /// <param name="checkpointType">The type the model's weights are stored in, which auto follows.</param>
    public static IComputeBackend Open(string device, int? cpuThreads = null, DType? activationType = null, DType? checkpointType = null)
    {
        var spec = (device ?? "cpu").Trim().ToLowerInvariant();
        if (activationType is DType.I32)
        {
            throw new ArgumentException("activation type I32: activations are F32, BF16 or F16.", nameof(activationType));
        }

        if (spec == "cpu")
        {
            if (activationType is { } requested && requested != DType.F32)
            {
                throw new ArgumentException($"activation type {requested} on the CPU: the CPU backend computes in F32 only; use --activation-dtype f32 or auto, or a cuda device.", nameof(activationType));
            }

            return new CpuBackend(cpuThreads);
        }

        if (spec == "cuda" || spec.StartsWith("cuda:", StringComparison.Ordinal))
        {
            var index = spec == "cuda" ? 0 : int.TryParse(spec.AsSpan(5), out var i) && i >= 0 ? i : throw new ArgumentException($"device '{device}': expected cuda:N with N a GPU index (0, 1, ...).", nameof(device));
            return OpenCuda(index, activationType ?? CudaAuto(checkpointType));
        }

        throw new ArgumentException($"unknown device '{device}': use cpu, cuda or cuda:N.", nameof(device));
    }

    private static DType CudaAuto(DType? checkpointType) => checkpointType is DType.F32 or DType.F16 ? checkpointType.Value : DType.BF16;

    private static IComputeBackend OpenCuda(int index, DType activationType)
    {
        if (CudaBackend.UnavailableReason() is { } reason)
        {
            throw new PlatformNotSupportedException($"device cuda:{index} requested, but no CUDA device can be used: {reason}. Use --device cpu.");
        }

        return new CudaBackend(index, activationType);
    }
}
