using ILGPU.Runtime.Cuda;
using InferMesh.Kernels.Cuda.Flash;

namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    private const float Log2E = 1.4426950408889634f;

    private CudaModuleLibrary? moduleLibrary;
    private FlashAttentionKernel? flashKernel;
    private PagedDecodeKernel? decodeKernel;

    /// <summary>
    /// Whether large attention blocks use the tensor-core flash kernel (bf16/fp16, head dimension 64 or 128) rather than
    /// cuBLAS score GEMMs and a masked softmax through memory. On by default on a real device; the environment
    /// variable INFERMESH_FLASH_ATTENTION=0 turns it off (for side-by-side measurements), tests set it directly.
    /// </summary>
    internal bool UseFlashAttention { get; set; } = Environment.GetEnvironmentVariable("INFERMESH_FLASH_ATTENTION") != "0";

    /// <summary>Flash kernel launches so far (tests check which path ran).</summary>
    internal long FlashLaunches { get; private set; }

    /// <summary>The flash kernels (null on a simulated device): tests read which row variant ran and force one.</summary>
    internal FlashAttentionKernel? FlashKernel => flashKernel;

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
        if (!UseFlashAttention || flashKernel is null || capturing || !FlashAttentionKernel.Supports(type, p.HeadDim))
            return false;
        // cp.async moves 16-byte chunks: every row start must be 16-byte aligned.
        if (queryStride % 8 != 0 || kvStride % 8 != 0 || outputStride % 2 != 0 || (queries | keys | values) % 16 != 0 || output % 4 != 0)
            return false;
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

    /// <summary>
    /// The flash kernel alone over contiguous positions (query row i at <paramref name="queryPositionBase"/> + i, key
    /// row j at <paramref name="keyPositionBase"/> + j), as paged prefill launches it after its gather: for kernel
    /// benchmarks and tests. Queries, keys, values and output share one 16-bit type; false when the kernel does not apply.
    /// </summary>
    internal bool ContiguousFlashAttention(DeviceTensor queries, int queryPositionBase, DeviceTensor keys, DeviceTensor values, int keyPositionBase, AttentionShape shape, DeviceTensor output, DeviceTensor lse)
    {
        Enter();
        ArgumentNullException.ThrowIfNull(shape);
        var q = Float(queries, nameof(queries));
        var k = Float(keys, nameof(keys));
        var v = Float(values, nameof(values));
        var o = Float(output, nameof(output));
        var l = Own(lse, nameof(lse));
        if (k.DType != q.DType || v.DType != q.DType || o.DType != q.DType || q.Cols != shape.QueryWidth || k.Cols != shape.KvWidth || v.Cols != k.Cols || v.Rows != k.Rows
            || o.Rows != q.Rows || o.Cols != q.Cols || l.DType != DType.F32 || l.Rows != q.Rows || l.Cols != shape.NumHeads)
            throw new ArgumentException($"queries {q}, keys {k}, values {v}, output {o} and lse {l} do not fit {shape} in one storage type.", nameof(queries));
        if (q.Rows == 0)
            return true;
        var p = new AttentionParams { NumHeads = shape.NumHeads, NumKvHeads = shape.NumKvHeads, HeadDim = shape.HeadDim, Scale = shape.Scale, Window = shape.SlidingWindow };
        return TryFlashAttention(
            q.DType, p, q.DevicePointer, q.Cols, null, queryPositionBase, q.Rows,
            k.DevicePointer, v.DevicePointer, k.Cols, null, keyPositionBase, k.Rows,
            o.DevicePointer, o.Cols, l.DevicePointer);
    }

    /// <summary>
    /// Whether decode attention uses the CUDA C paged decode kernel (bf16/fp16, head dimension 64 or 128, GQA groups
    /// up to 8) rather than the ILGPU one; INFERMESH_CUDA_DECODE=0 turns it off for side-by-side measurements.
    /// </summary>
    internal bool UsePagedDecodeKernel { get; set; } = Environment.GetEnvironmentVariable("INFERMESH_CUDA_DECODE") != "0";

    /// <summary>Paged decode kernel launches so far (tests check which path ran).</summary>
    internal long PagedDecodeLaunches { get; private set; }

    /// <summary>
    /// Loads the PTX kernels once, at construction on a real device: module loading is not a stream operation and
    /// must not happen inside a graph capture.
    /// </summary>
    private void LoadPtxKernels()
    {
        moduleLibrary = CudaModuleLibrary.Load();
        flashKernel = new FlashAttentionKernel(moduleLibrary);
        decodeKernel = new PagedDecodeKernel(moduleLibrary);
        gemvKernel = new GemvKernel(moduleLibrary, accelerator.NumMultiprocessors);
    }

    /// <summary>The CUDA C decode kernel over all rows or the mapped ones, writing partials when there are several splits; false when it does not apply.</summary>
    private bool TryPagedDecode(CudaTensor q, CudaTensor kc, CudaTensor vc, AttentionBatch batch, CudaTensor output, CudaTensor lse, ArrayViewPair partials, CudaTensor? rowMap, int mappedRows, AttentionParams p)
    {
        int group = p.NumHeads / p.NumKvHeads;
        if (!UsePagedDecodeKernel || decodeKernel is null || !PagedDecodeKernel.Supports(kc.DType, p.HeadDim, group, p.SplitSize))
            return false;
        var parameters = new DecodeParams
        {
            Queries = q.DevicePointer,
            KeyCache = kc.DevicePointer,
            ValueCache = vc.DevicePointer,
            Output = output.DevicePointer,
            Lse = lse.DevicePointer,
            PartialOutput = partials.Output,
            PartialLse = partials.Lse,
            QuerySequence = ((CudaTensor)batch.QuerySequence).DevicePointer,
            QueryPosition = ((CudaTensor)batch.QueryPosition).DevicePointer,
            BlockTables = ((CudaTensor)batch.BlockTables).DevicePointer,
            RowMap = rowMap?.DevicePointer ?? IntPtr.Zero,
            NumHeads = p.NumHeads,
            NumKvHeads = p.NumKvHeads,
            BlockSize = p.BlockSize,
            MaxBlocks = p.MaxBlocks,
            Window = p.Window,
            SplitSize = p.SplitSize,
            NumSplits = p.NumSplits,
            UseRowMap = rowMap is null ? 0 : 1,
            ScaleLog2 = p.Scale * Log2E,
        };
        decodeKernel.Launch(kc.DType, p.HeadDim, mappedRows * p.NumKvHeads, p.NumSplits, ref parameters, ((CudaStream)stream).StreamPtr);
        PagedDecodeLaunches++;
        return true;
    }

    /// <summary>Device addresses of the fp32 split partials (zero when there is one split).</summary>
    private readonly record struct ArrayViewPair(IntPtr Output, IntPtr Lse);

    private void DisposeFlash()
    {
        flashKernel?.Dispose();
        decodeKernel?.Dispose();
        gemvKernel?.Dispose();
    }
}
