using ILGPU;
using ILGPU.Runtime;

namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// Keys per decode split: fixed for the backend's life, so splits fall at the same positions whatever the batch (a
    /// row's result never depends on its neighbours). 128 by default; INFERMESH_DECODE_SPLIT (16-128) sets another for
    /// side-by-side measurements: smaller splits give a batch-1 step more blocks, larger ones write fewer partials.
    /// </summary>
    internal int DecodeSplitSize { get; } = int.TryParse(Environment.GetEnvironmentVariable("INFERMESH_DECODE_SPLIT"), out var split)
        ? Math.Clamp(split, 16, DecodeAttentionKernel.MaxSplitSize)
        : DecodeAttentionKernel.MaxSplitSize;

    private const int SharedFloatBudget = 48 * 1024 / sizeof(float);
    private const int PrefillThreads = 256;

    /// <summary>
    /// Decode kernel when the step has at most one query row per sequence on average (decode batches), the tiled
    /// prefill kernel otherwise. Both are exact for any layout; the choice is only about speed.
    /// </summary>
    public void PagedAttention(DeviceTensor queries, DeviceTensor keyCache, DeviceTensor valueCache, AttentionBatch batch, AttentionShape shape, DeviceTensor output, DeviceTensor lse)
    {
        Enter();
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(shape);
        var q = Float(queries, nameof(queries));
        var kc = Float(keyCache, nameof(keyCache));
        var vc = Float(valueCache, nameof(valueCache));
        var result = Float(output, nameof(output));
        var scores = Own(lse, nameof(lse));
        var sequences = Index(batch.QuerySequence, "batch.QuerySequence");
        var positions = Index(batch.QueryPosition, "batch.QueryPosition");
        var tables = Index(batch.BlockTables, "batch.BlockTables");
        CheckAttention(q, kc, vc, result, scores, sequences, positions, shape);
        int rows = q.Rows;
        if (rows == 0)
            return;

        DType type = kc.DType;
        var qs = As(q, type, SlotInputA);
        var target = Target(result, type);
        var p = new AttentionParams
        {
            NumHeads = shape.NumHeads,
            NumKvHeads = shape.NumKvHeads,
            HeadDim = shape.HeadDim,
            Scale = shape.Scale,
            SoftCap = shape.SoftCap,
            Window = shape.SlidingWindow,
            BlockSize = shape.BlockSize,
            MaxBlocks = tables.Cols,
            Rows = rows,
        };
        if (rows <= tables.Rows)
            Decode(qs, kc, vc, batch, target, scores, p, Math.Max(1, batch.MaxContext), null, rows);
        else if (p.SoftCap != 0 || !TryPrefillWithGemm(qs, kc, vc, batch, target, scores, p))
            Prefill(qs, kc, vc, batch, target, scores, p);
        Finish(target, result);
    }

    /// <summary>Decode kernel over all rows, or over the rows listed in <paramref name="rowMap"/> (I32, <paramref name="mappedRows"/> entries).</summary>
    private void Decode(CudaTensor q, CudaTensor kc, CudaTensor vc, AttentionBatch batch, CudaTensor output, CudaTensor lse, AttentionParams p, int maxContext, CudaTensor? rowMap, int mappedRows)
    {
        int group = p.NumHeads / p.NumKvHeads;
        int dim = p.HeadDim;
        // The CUDA C decode kernel has no soft cap (Gemma 2); the ILGPU one below does.
        if (p.SoftCap == 0 && TryPagedDecodeWithMerge(q, kc, vc, batch, output, lse, p, maxContext, rowMap, mappedRows))
            return;
        p.HeadsPerBlock = DecodeAttentionKernel.HeadsPerBlock;
        p.HeadBlocks = (group + p.HeadsPerBlock - 1) / p.HeadsPerBlock;
        int threads = Math.Max(128, (dim + 31) / 32 * 32);
        int budget = SharedFloatBudget - DecodeAttentionKernel.MaxSplitSize * 2;
        // Largest key tile that fits shared memory and divides the threads evenly among its keys.
        p.KeyTile = 64;
        while (p.KeyTile > 1 && (DecodeSharedFloats(p) > budget || threads % p.KeyTile != 0 || p.KeyTile > threads))
            p.KeyTile /= 2;
        if (DecodeSharedFloats(p) > budget)
            throw new NotSupportedException($"Head dimension {dim} is too large for the decode attention kernel's shared memory.");
        p.SplitSize = DecodeSplitSize;
        p.NumSplits = (maxContext + DecodeSplitSize - 1) / DecodeSplitSize;
        var config = new KernelConfig(
            new Index3D(mappedRows * p.NumKvHeads * p.HeadBlocks, p.NumSplits, 1),
            new Index3D(threads, 1, 1),
            SharedMemoryConfig.RequestDynamic<float>(DecodeSharedFloats(p)));
        var kernels = Kernels(q.DType);
        p.UseRowMap = rowMap is null ? 0 : 1;
        var map = rowMap?.Ints ?? ((CudaTensor)batch.QuerySequence).Ints;
        if (p.NumSplits == 1)
        {
            kernels.DecodeAttention(stream, config, q, kc, vc, batch, output, lse, lse.Floats, lse.Floats, map, p);
            return;
        }

        long partials = (long)p.Rows * p.NumHeads * p.NumSplits;
        var partialOut = scratch.Floats(SlotPartialOut, partials * dim);
        var partialLse = scratch.Floats(SlotPartialLse, partials);
        kernels.DecodeAttention(stream, config, q, kc, vc, batch, output, lse, partialOut, partialLse, map, p);
        kernels.MergeAttention(stream, partialOut, partialLse, output, lse, map, mappedRows, p.UseRowMap, dim, p.NumSplits);
    }

    private bool TryPagedDecodeWithMerge(CudaTensor q, CudaTensor kc, CudaTensor vc, AttentionBatch batch, CudaTensor output, CudaTensor lse, AttentionParams p, int maxContext, CudaTensor? rowMap, int mappedRows)
    {
        p.SplitSize = DecodeSplitSize;
        p.NumSplits = (maxContext + DecodeSplitSize - 1) / DecodeSplitSize;
        var partials = new ArrayViewPair(IntPtr.Zero, IntPtr.Zero);
        ILGPU.ArrayView<float> partialOut = default, partialLse = default;
        if (p.NumSplits > 1)
        {
            long count = (long)p.Rows * p.NumHeads * p.NumSplits;
            partialOut = scratch.Floats(SlotPartialOut, count * p.HeadDim);
            partialLse = scratch.Floats(SlotPartialLse, count);
            partials = new ArrayViewPair(partialOut.LoadEffectiveAddressAsPtr(), partialLse.LoadEffectiveAddressAsPtr());
        }

        if (!TryPagedDecode(q, kc, vc, batch, output, lse, partials, rowMap, mappedRows, p))
            return false;
        if (p.NumSplits > 1)
        {
            var map = rowMap?.Ints ?? ((CudaTensor)batch.QuerySequence).Ints;
            Kernels(q.DType).MergeAttention(stream, partialOut, partialLse, output, lse, map, mappedRows, rowMap is null ? 0 : 1, p.HeadDim, p.NumSplits);
        }

        return true;
    }

    private void Prefill(CudaTensor q, CudaTensor kc, CudaTensor vc, AttentionBatch batch, CudaTensor output, CudaTensor lse, AttentionParams p)
    {
        int group = p.NumHeads / p.NumKvHeads;
        (int Vectors, int Tile)[] candidates = [(32, 32), (32, 16), (16, 32), (16, 16), (8, 16), (4, 16), (2, 16), (1, 16), (1, 8), (1, 4)];
        foreach (var (vectors, tile) in candidates)
        {
            p.HeadsPerBlock = Math.Min(group, vectors);
            p.SplitSize = Math.Min(PrefillAttentionKernel.MaxRowsPerBlock, Math.Max(1, vectors / p.HeadsPerBlock));
            p.KeyTile = tile;
            if (PrefillSharedFloats(p) <= SharedFloatBudget - 3 * PrefillAttentionKernel.MaxRowsPerBlock)
                break;
        }

        if (PrefillSharedFloats(p) > SharedFloatBudget - 3 * PrefillAttentionKernel.MaxRowsPerBlock)
            throw new NotSupportedException($"Head dimension {p.HeadDim} is too large for the prefill attention kernel's shared memory.");
        p.HeadBlocks = (group + p.HeadsPerBlock - 1) / p.HeadsPerBlock;
        p.NumSplits = 1;
        int tiles = (p.Rows + p.SplitSize - 1) / p.SplitSize;
        var config = new KernelConfig(
            new Index3D(tiles * p.NumKvHeads * p.HeadBlocks, 1, 1),
            new Index3D(PrefillThreads, 1, 1),
            SharedMemoryConfig.RequestDynamic<float>(PrefillSharedFloats(p)));
        Kernels(q.DType).PrefillAttention(stream, config, q, kc, vc, batch, output, lse, p);
    }

    private static int DecodeSharedFloats(AttentionParams p) =>
        p.HeadsPerBlock * p.HeadDim + p.KeyTile * (DecodeAttentionKernel.KeyStride(p.HeadDim) + p.HeadDim) + p.HeadsPerBlock * p.KeyTile + 3 * p.HeadsPerBlock;

    private static int PrefillSharedFloats(AttentionParams p)
    {
        int vectors = p.SplitSize * p.HeadsPerBlock;
        return 2 * vectors * p.HeadDim + p.KeyTile * (2 * p.HeadDim + 1) + vectors * p.KeyTile + 3 * vectors;
    }

    private static void CheckAttention(CudaTensor q, CudaTensor kc, CudaTensor vc, CudaTensor output, CudaTensor lse, CudaTensor sequences, CudaTensor positions, AttentionShape shape)
    {
        if (shape.NumHeads <= 0 || shape.NumKvHeads <= 0 || shape.NumHeads % shape.NumKvHeads != 0)
            throw new ArgumentException($"NumHeads {shape.NumHeads} must be a positive multiple of NumKvHeads {shape.NumKvHeads}.", nameof(shape));
        if (shape.HeadDim <= 0 || shape.HeadDim > 1024 || shape.BlockSize <= 0)
            throw new ArgumentException($"HeadDim {shape.HeadDim} must be in 1..1024 and BlockSize {shape.BlockSize} positive.", nameof(shape));
        if (q.Cols != shape.QueryWidth)
            throw new ArgumentException($"queries {q} must have NumHeads·HeadDim = {shape.QueryWidth} columns.", "queries");
        if (kc.Cols != shape.KvWidth || vc.Cols != shape.KvWidth || kc.DType != vc.DType)
            throw new ArgumentException($"Cache pools {kc} and {vc} must both be [slots x {shape.KvWidth}] of one type.", "keyCache");
        if (output.Rows != q.Rows || output.Cols != shape.QueryWidth)
            throw new ArgumentException($"output {output} must be [{q.Rows}x{shape.QueryWidth}].", "output");
        if (lse.DType != DType.F32 || lse.Rows != q.Rows || lse.Cols != shape.NumHeads)
            throw new ArgumentException($"lse {lse} must be F32 [{q.Rows}x{shape.NumHeads}].", "lse");
        if (sequences.ElementCount != q.Rows || positions.ElementCount != q.Rows)
            throw new ArgumentException($"batch.QuerySequence {sequences} and batch.QueryPosition {positions} must hold one entry per query row ({q.Rows}).", "batch");
    }
}
