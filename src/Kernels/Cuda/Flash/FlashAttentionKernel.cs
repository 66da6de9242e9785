namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>
/// The tensor-core flash attention kernels of flash_attention.cu (bf16 and fp16 storage, head dimensions 64 and 128),
/// loaded from the PTX embedded in this assembly into the backend's context. See the .cu file for the contract.
/// </summary>
internal sealed class FlashAttentionKernel : IDisposable
{
    private const int RowsPerBlock = 64;
    private const int Threads = 128;
    private const int MaxGridY = 65535;

    private readonly PtxModule module;
    private readonly Dictionary<(DType, int), IntPtr> functions = [];

    public FlashAttentionKernel(CudaModuleLibrary library)
    {
        module = new PtxModule(library, "InferMesh.Kernels.flash_attention.ptx");
        foreach (var (type, name) in new[] { (DType.BF16, "bf16"), (DType.F16, "f16") })
        {
            foreach (int dim in new[] { 64, 128 })
                functions[(type, dim)] = module.Function($"flash_attention_{name}_d{dim}", SharedBytes(dim));
        }
    }

    public static bool Supports(DType type, int headDim) => type is DType.BF16 or DType.F16 && headDim is 64 or 128;

    /// <summary>A Q tile and double-buffered K and V tiles of 64 rows (16-bit elements), plus key positions and tile bounds.</summary>
    public static int SharedBytes(int headDim) => (5 * 64 * headDim * 2) + (2 * 64 * sizeof(int)) + (10 * sizeof(int));

    public void Launch(DType type, int headDim, ref FlashParams parameters, IntPtr stream)
    {
        if (!functions.TryGetValue((type, headDim), out IntPtr function))
            throw new NotSupportedException($"No flash attention kernel for {type} with head dimension {headDim}.");
        uint blocks = (uint)((parameters.Rows + RowsPerBlock - 1) / RowsPerBlock);
        if (blocks > MaxGridY)
            throw new NotSupportedException($"{parameters.Rows} query rows exceed the flash kernel's grid ({MaxGridY * RowsPerBlock} rows); split the block.");
        module.Library.Launch(function, ((uint)parameters.NumHeads, blocks, 1u), Threads, (uint)SharedBytes(headDim), stream, ref parameters);
    }

    public void Dispose() => module.Dispose();
}
