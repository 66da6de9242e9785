using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.ChunkCache;

/// <summary>
/// Passes every call to a real backend and counts them by kind: what a GPU would pay per request in allocations
/// (cudaMalloc, and a device-wide sync when freed), host→device uploads, device→host downloads (each waits for the
/// stream), explicit synchronisations and kernel launches.
/// </summary>
internal class CountingBackend(IComputeBackend inner) : IComputeBackend
{
    public long Allocations { get; private set; }

    public long Uploads { get; private set; }

    public long Downloads { get; private set; }

    public long Synchronizations { get; private set; }

    public long Launches { get; private set; }

    public (long Allocations, long Uploads, long Downloads, long Synchronizations, long Launches) Snapshot() =>
        (Allocations, Uploads, Downloads, Synchronizations, Launches);

    public string DeviceName => inner.DeviceName;

    public DType ActivationType => inner.ActivationType;

    public DType CacheType => inner.CacheType;

    public long FreeMemoryBytes => inner.FreeMemoryBytes;

    public bool SharesHostMemory => inner.SharesHostMemory;

    public DeviceTensor Allocate(int rows, int cols, DType? dtype = null)
    {
        Allocations++;
        return inner.Allocate(rows, cols, dtype);
    }

    public DeviceTensor LoadWeight(ReadOnlySpan<byte> raw, DType sourceType, int rows, int cols)
    {
        Allocations++;
        return inner.LoadWeight(raw, sourceType, rows, cols);
    }

    public void Upload(ReadOnlySpan<float> source, DeviceTensor destination)
    {
        Uploads++;
        inner.Upload(source, destination);
    }

    public void Upload(ReadOnlySpan<int> source, DeviceTensor destination)
    {
        Uploads++;
        inner.Upload(source, destination);
    }

    public void Download(DeviceTensor source, Span<float> destination)
    {
        Downloads++;
        inner.Download(source, destination);
    }

    public void Download(DeviceTensor source, Span<int> destination)
    {
        Downloads++;
        inner.Download(source, destination);
    }

    public void Synchronize()
    {
        Synchronizations++;
        inner.Synchronize();
    }

    public void Copy(DeviceTensor source, DeviceTensor destination) => Launch(() => inner.Copy(source, destination));

    public void Embedding(DeviceTensor table, DeviceTensor ids, DeviceTensor output) => Launch(() => inner.Embedding(table, ids, output));

    public void RmsNorm(DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output) => Launch(() => inner.RmsNorm(x, weight, eps, output));

    public void HeadRmsNorm(DeviceTensor qkv, DeviceTensor queryWeight, DeviceTensor keyWeight, int headDim, int queryHeads, int kvHeads, float eps) =>
        Launch(() => inner.HeadRmsNorm(qkv, queryWeight, keyWeight, headDim, queryHeads, kvHeads, eps));

    public void Add(DeviceTensor accumulator, DeviceTensor x) => Launch(() => inner.Add(accumulator, x));

    public void AddRmsNorm(DeviceTensor accumulator, DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output) =>
        Launch(() => inner.AddRmsNorm(accumulator, x, weight, eps, output));

    public void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y) => Launch(() => inner.MatMul(x, weight, bias, y));

    public void ScatterScaledRows(DeviceTensor source, DeviceTensor rowIndices, DeviceTensor scales, DeviceTensor destination, bool accumulate) => Launch(() => inner.ScatterScaledRows(source, rowIndices, scales, destination, accumulate));

    public void SiluMul(DeviceTensor gate, DeviceTensor up, DeviceTensor output) => Launch(() => inner.SiluMul(gate, up, output));

    public void Rope(DeviceTensor x, int headDim, DeviceTensor positions, DeviceTensor invFreq, float attentionScaling) =>
        Launch(() => inner.Rope(x, headDim, positions, invFreq, attentionScaling));

    public void WriteKv(DeviceTensor keys, DeviceTensor values, DeviceTensor keyCache, DeviceTensor valueCache, DeviceTensor slots) =>
        Launch(() => inner.WriteKv(keys, values, keyCache, valueCache, slots));

    public void RopeWriteQkv(DeviceTensor qkv, int headDim, DeviceTensor positions, DeviceTensor invFreq, float attentionScaling, DeviceTensor queries, DeviceTensor keyCache, DeviceTensor valueCache, DeviceTensor slots) =>
        Launch(() => inner.RopeWriteQkv(qkv, headDim, positions, invFreq, attentionScaling, queries, keyCache, valueCache, slots));

    public void SwiGlu(DeviceTensor gateUp, DeviceTensor output) => Launch(() => inner.SwiGlu(gateUp, output));

    public void GeluTanhGlu(DeviceTensor gateUp, DeviceTensor output) => Launch(() => inner.GeluTanhGlu(gateUp, output));

    public void Scale(DeviceTensor x, float factor) => Launch(() => inner.Scale(x, factor));

    public void SoftCap(DeviceTensor x, float cap) => Launch(() => inner.SoftCap(x, cap));

    public bool SupportsAttention(AttentionShape shape) => inner.SupportsAttention(shape);

    public void PagedAttention(DeviceTensor queries, DeviceTensor keyCache, DeviceTensor valueCache, AttentionBatch batch, AttentionShape shape, DeviceTensor output, DeviceTensor lse) =>
        Launch(() => inner.PagedAttention(queries, keyCache, valueCache, batch, shape, output, lse));

    public void BlockAttention(DeviceTensor queries, DeviceTensor queryPositions, DeviceTensor keys, DeviceTensor values, DeviceTensor keyPositions, AttentionShape shape, DeviceTensor output, DeviceTensor lse) =>
        Launch(() => inner.BlockAttention(queries, queryPositions, keys, values, keyPositions, shape, output, lse));

    public void MergeAttention(DeviceTensor outputA, DeviceTensor lseA, DeviceTensor outputB, DeviceTensor lseB) =>
        Launch(() => inner.MergeAttention(outputA, lseA, outputB, lseB));

    public void GatherRows(DeviceTensor source, DeviceTensor rowIndices, DeviceTensor output) => Launch(() => inner.GatherRows(source, rowIndices, output));

    public void Argmax(DeviceTensor logits, DeviceTensor ids) => Launch(() => inner.Argmax(logits, ids));

    public void Dispose() => inner.Dispose();

    /// <summary>Runs (and counts) one kernel-like operation; a graph-recording backend records it instead while capturing.</summary>
    protected virtual void Launch(Action operation)
    {
        Launches++;
        operation();
    }
}
