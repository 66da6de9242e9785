namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>
/// The tensor-core flash attention kernels of flash_attention.cu (bf16 and fp16 storage, head dimensions 64 and 128),
/// loaded from the PTX embedded in this assembly into the backend's context. See the .cu file for the contract.
/// Each type and head dimension has two kernels: 64 query rows per block (one 16-row MMA tile per warp) and 128 rows
/// per block (two tiles per warp, so every K and V fragment read from shared memory feeds two MMAs). Launches of at
/// least 128 rows take the 128-row kernel, smaller ones the 64-row kernel (fewer idle rows, more blocks).
/// </summary>
internal sealed class FlashAttentionKernel : IDisposable
{
    /// <summary>Query rows per block of the kernel for small launches.</summary>
    public const int NarrowRows = 64;

    /// <summary>Query rows per block of the kernel for launches of at least this many rows.</summary>
    public const int WideRows = 128;

    private const int Threads = 128;
    private const int KeysPerTile = 64;
    private const int KeySlots = 3;
    private const int Warps = Threads / 32;
    private const int MaxGridY = 65535;

    private readonly PtxModule module;
    private readonly Dictionary<(DType, int, int), IntPtr> functions = [];

    public FlashAttentionKernel(CudaModuleLibrary library)
    {
        module = new PtxModule(library, "InferMesh.Kernels.flash_attention.ptx");
        foreach (var (type, name) in new[] { (DType.BF16, "bf16"), (DType.F16, "f16") })
        {
            foreach (int dim in new[] { 64, 128 })
            {
                functions[(type, dim, NarrowRows)] = module.Function($"flash_attention_{name}_d{dim}", SharedBytes(NarrowRows, dim));
                functions[(type, dim, WideRows)] = module.Function($"flash_attention_{name}_d{dim}_r128", SharedBytes(WideRows, dim));
            }
        }
    }

    /// <summary>
    /// Rows per block every launch uses whatever its size (64 or 128), or 0 to choose by row count. The environment
    /// variable INFERMESH_FLASH_ROWS=64 (or 128) sets it, for side-by-side measurements; tests set it directly.
    /// </summary>
    internal int ForcedRowsPerBlock { get; set; } = Environment.GetEnvironmentVariable("INFERMESH_FLASH_ROWS") switch
    {
        "64" => NarrowRows,
        "128" => WideRows,
        _ => 0,
    };

    /// <summary>Launches of the 64-row kernel so far (tests check which variant ran).</summary>
    internal long NarrowLaunches { get; private set; }

    /// <summary>Launches of the 128-row kernel so far.</summary>
    internal long WideLaunches { get; private set; }

    public static bool Supports(DType type, int headDim) => type is DType.BF16 or DType.F16 && headDim is 64 or 128;

    /// <summary>
    /// A Q tile of <paramref name="rowsPerBlock"/> rows and double-buffered K and V tiles of 64 rows (16-bit
    /// elements), plus key positions of three tiles, query positions, the block's and each warp's query bounds and
    /// each tile's key bounds (the layout at the top of flash_attention's body).
    /// </summary>
    public static int SharedBytes(int rowsPerBlock, int headDim) =>
        ((rowsPerBlock + (4 * KeysPerTile)) * headDim * 2) + (KeySlots * KeysPerTile * sizeof(int)) + (rowsPerBlock * sizeof(int))
        + ((2 + (2 * Warps) + (4 * KeySlots)) * sizeof(int));

    /// <summary>The rows per block a launch of <paramref name="rows"/> query rows uses.</summary>
    public int RowsPerBlock(int rows) => ForcedRowsPerBlock is NarrowRows or WideRows ? ForcedRowsPerBlock : rows >= WideRows ? WideRows : NarrowRows;

    public void Launch(DType type, int headDim, ref FlashParams parameters, IntPtr stream)
    {
        int rowsPerBlock = RowsPerBlock(parameters.Rows);
        if (!functions.TryGetValue((type, headDim, rowsPerBlock), out IntPtr function))
            throw new NotSupportedException($"No flash attention kernel for {type} with head dimension {headDim}.");
        uint blocks = (uint)((parameters.Rows + rowsPerBlock - 1) / rowsPerBlock);
        if (blocks > MaxGridY)
            throw new NotSupportedException($"{parameters.Rows} query rows exceed the flash kernel's grid ({MaxGridY * rowsPerBlock} rows); split the block.");
        module.Library.Launch(function, ((uint)parameters.NumHeads, blocks, 1u), Threads, (uint)SharedBytes(rowsPerBlock, headDim), stream, ref parameters);
        if (rowsPerBlock == WideRows)
            WideLaunches++;
        else
            NarrowLaunches++;
    }

    public void Dispose() => module.Dispose();
}
