using ILGPU.Runtime.Cuda;
using InferMesh.Kernels.Cuda.Flash;

namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    private const float Log2E = 1.4426950408889634f;

    private CudaModuleLibrary? moduleLibrary;
    private FlashAttentionKernel? flashKernel;

    /// <summary>
    /// Whether large attention blocks use the tensor-core flash kernel (bf16/fp16, head dimension 64 or 128) rather than
    /// cuBLAS score GEMMs and a masked softmax through memory. On by default on a real device; the environment
    /// variable INFERMESH_FLASH_ATTENTION=0 turns it off (for side-by-side measurements), tests set it directly.
    /// </summary>
    internal bool UseFlashAttention { get; set; } = Environment.GetEnvironmentVariable("INFERMESH_FLASH_ATTENTION") != "0";

    /// <summary>Flash kernel launches so far (tests check which path ran).</summary>
    internal long FlashLaunches { get; private set; }

    /// <summary>
    /// Runs the flash kernel over one block of query rows and key/value rows (16-bit storage) when it applies;
    /// false when it does not (type, head dimension, alignment, simulated device), so the caller takes another path.
    /// Pointers address the first row and head 0; strides are in elements. Null position tensors mean base + index.
    /// </summary>
    private bool TryFlashAttention(
        DType type, AttentionParams p,
        IntPtr queries, int queryStride, CudaTensor? queryPositions, int queryPositionBase, int rows,
        IntPtr keys, IntPtr values, int kvStride, CudaTensor? keyPositions, int keyPositionBase, int keyCount,
        IntPtr output, int outputStride, IntPtr lse)
    {
        if (!UseFlashAttention || driver is null || capturing || !FlashAttentionKernel.Supports(type, p.HeadDim))
            return false;
        // cp.async moves 16-byte chunks: every row start must be 16-byte aligned.
        if (queryStride % 8 != 0 || kvStride % 8 != 0 || outputStride % 2 != 0 || (queries | keys | values) % 16 != 0 || output % 4 != 0)
            return false;
        flashKernel ??= new FlashAttentionKernel(moduleLibrary ??= CudaModuleLibrary.Load());
        var parameters = new FlashParams
        {
            Queries = queries,
            Keys = keys,
            Values = values,
            Output = output,
            Lse = lse,
            QueryPositions = queryPositions?.DevicePointer ?? IntPtr.Zero,
            KeyPositions = keyPositions?.DevicePointer ?? IntPtr.Zero,
            QueryPositionBase = queryPositionBase,
            KeyPositionBase = keyPositionBase,
            Rows = rows,
            KeyCount = keyCount,
            QueryStride = queryStride,
            KeyStride = kvStride,
            ValueStride = kvStride,
            OutputStride = outputStride,
            NumHeads = p.NumHeads,
            NumKvHeads = p.NumKvHeads,
            Window = p.Window,
            ScaleLog2 = p.Scale * Log2E,
        };
        flashKernel.Launch(type, p.HeadDim, ref parameters, ((CudaStream)stream).StreamPtr);
        FlashLaunches++;
        return true;
    }

    private void DisposeFlash() => flashKernel?.Dispose();
}
