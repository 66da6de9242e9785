using ILGPU.Runtime.Cuda;
using InferMesh.Kernels.Cuda.Flash;

namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    private GemvKernel? gemvKernel;

    /// <summary>
    /// Whether linear layers over 1..8 rows use the CUDA C GEMV kernel (streams the weights at close to the memory
    /// bandwidth) rather than cuBLAS. On by default on a real device; INFERMESH_GEMV=0 turns it off (for side-by-side
    /// measurements), tests set it directly.
    /// </summary>
    internal bool UseGemv { get; set; } = Environment.GetEnvironmentVariable("INFERMESH_GEMV") != "0";

    /// <summary>GEMV kernel launches so far (tests check which path ran).</summary>
    internal long GemvLaunches { get; private set; }

    /// <summary>
    /// y = x · wᵀ through the GEMV kernel when it applies; false when it does not (simulated device, more than 8 rows,
    /// types, input features not a multiple of 8, unaligned operands), so the caller runs cuBLAS. x already has w's
    /// type. Only a kernel launch on the stream: safe inside a graph capture.
    /// </summary>
    private bool TryGemv(CudaTensor x, CudaTensor w, CudaTensor y)
    {
        if (!UseGemv || gemvKernel is null || x.DType != w.DType || !GemvKernel.Supports(w.DType, y.DType, x.Rows, x.Cols))
            return false;
        // 16-byte loads: with input features a multiple of 8, aligned bases make every row aligned.
        if ((x.DevicePointer | w.DevicePointer) % 16 != 0)
            return false;
        gemvKernel.Launch(w.DType, y.DType, x.DevicePointer, w.DevicePointer, y.DevicePointer, x.Rows, w.Rows, x.Cols, ((CudaStream)stream).StreamPtr);
        GemvLaunches++;
        return true;
    }
}
