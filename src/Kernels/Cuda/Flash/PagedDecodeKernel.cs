namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>
/// The paged decode attention kernels of paged_decode_attention.cu (bf16 and fp16 caches, head dimensions 64 and 128,
/// GQA groups of up to 8 query heads per KV head, splits of up to 128 keys). See the .cu file for the contract.
/// </summary>
internal sealed class PagedDecodeKernel : IDisposable
{
    private const int Threads = 128;
    private const int MaxGroup = 8;
    private const int MaxSplit = 128;

    private readonly PtxModule module;
    private readonly Dictionary<(DType, int), IntPtr> functions = [];

    public PagedDecodeKernel(CudaModuleLibrary library)
    {
        module = new PtxModule(library, "InferMesh.Kernels.paged_decode_attention.ptx");
        foreach (var (type, name) in new[] { (DType.BF16, "bf16"), (DType.F16, "f16") })
        {
            foreach (int dim in new[] { 64, 128 })
                functions[(type, dim)] = module.Function($"paged_decode_{name}_d{dim}");
        }
    }

    public static bool Supports(DType type, int headDim, int group, int splitSize) =>
        type is DType.BF16 or DType.F16 && headDim is 64 or 128 && group is >= 1 and <= MaxGroup && splitSize is >= 1 and <= MaxSplit;

    /// <param name="blocks">Query rows (or mapped rows) times KV heads.</param>
    public void Launch(DType type, int headDim, int blocks, int splits, ref DecodeParams parameters, IntPtr stream)
    {
        if (!functions.TryGetValue((type, headDim), out IntPtr function))
            throw new NotSupportedException($"No paged decode kernel for {type} with head dimension {headDim}.");
        module.Library.Launch(function, ((uint)blocks, (uint)splits, 1u), Threads, 0, stream, ref parameters);
    }

    public void Dispose() => module.Dispose();
}
