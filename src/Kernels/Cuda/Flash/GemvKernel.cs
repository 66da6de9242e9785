namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>
/// The decode GEMV kernels of gemv.cu: y[T x N] = x[T x K] · W[N x K]ᵀ for T ≤ 8 rows, bf16 or fp16 weights and
/// inputs, output in the weights' type or fp32, on tensor cores. See the .cu file for the contract and the design.
/// </summary>
internal sealed class GemvKernel : IDisposable
{
    public const int MaxRows = 8;

    private const int TileRows = 16;
    private const int IterationK = 128;
    private const int MaxWarps = 16;
    private const int MinWarps = 4;

    /// <summary>Resident warps per multiprocessor worth keeping busy: each has 4 KB of weight loads in flight.</summary>
    private const int WarpsPerMultiprocessor = 16;

    private readonly PtxModule module;
    private readonly Dictionary<(DType Weights, DType Output), IntPtr> functions = [];
    private readonly int targetWarps;

    public GemvKernel(CudaModuleLibrary library, int multiprocessors)
    {
        module = new PtxModule(library, "InferMesh.Kernels.gemv.ptx");
        foreach (var (type, name) in new[] { (DType.BF16, "bf16"), (DType.F16, "f16") })
        {
            functions[(type, type)] = module.Function($"gemv_{name}");
            functions[(type, DType.F32)] = module.Function($"gemv_{name}_f32");
        }

        targetWarps = Math.Max(1, multiprocessors) * WarpsPerMultiprocessor;
    }

    /// <summary>
    /// Whether the kernel takes this product: 1..8 rows, bf16/fp16 weights with input of the same type, output in that
    /// type or fp32, and input features a multiple of 8 (16-byte loads; the caller also checks 16-byte alignment).
    /// </summary>
    public static bool Supports(DType weights, DType output, int rows, int inFeatures) =>
        weights is DType.BF16 or DType.F16 && (output == weights || output == DType.F32) &&
        rows is >= 1 and <= MaxRows && inFeatures > 0 && inFeatures % 8 == 0;

    public void Launch(DType weights, DType output, IntPtr x, IntPtr w, IntPtr y, int rows, int outFeatures, int inFeatures, IntPtr stream)
    {
        if (!functions.TryGetValue((weights, output), out IntPtr function))
            throw new NotSupportedException($"No GEMV kernel for {weights} weights with {output} output.");
        int tiles = (outFeatures + TileRows - 1) / TileRows;
        int iterations = (inFeatures + IterationK - 1) / IterationK;
        // Few tiles (small N) cannot fill the device one warp each: split K between more warps of a tile, as long as
        // each keeps at least two iterations of loads.
        int splitK = 1;
        while (splitK < MaxWarps && (long)tiles * splitK < targetWarps && iterations >= 4 * splitK)
            splitK *= 2;
        int warps = Math.Max(splitK, MinWarps);
        int tilesPerBlock = warps / splitK;
        var parameters = new GemvParams
        {
            Input = x,
            Weight = w,
            Output = y,
            Rows = rows,
            OutFeatures = outFeatures,
            InFeatures = inFeatures,
            SplitK = splitK,
            SplitLength = (iterations + splitK - 1) / splitK * IterationK,
        };
        uint blocks = (uint)((tiles + tilesPerBlock - 1) / tilesPerBlock);
        module.Library.Launch(function, (blocks, 1u, 1u), (uint)(warps * 32), 0, stream, ref parameters);
    }

    public void Dispose() => module.Dispose();
}
