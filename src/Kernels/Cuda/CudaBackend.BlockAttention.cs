using ILGPU;
using ILGPU.Runtime;

namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Smallest query chunk of the GEMM path (also the shortest position run it keeps apart).</summary>
    private const int BlockChunkMinRows = 16;

    private int[] hostQueryPositions = [], hostKeyPositions = [];

    /// <summary>Blocks with fewer query·key pairs than this go through the direct kernel; tests lower it to force the GEMM path.</summary>
    internal long BlockGemmMinPairs { get; set; } = 1L << 18;

    public void BlockAttention(DeviceTensor queries, DeviceTensor queryPositions, DeviceTensor keys, DeviceTensor values, DeviceTensor keyPositions, AttentionShape shape, DeviceTensor output, DeviceTensor lse)
    {
        Enter();
        ArgumentNullException.ThrowIfNull(shape);
        RefuseUnsupported(shape);
        var q = Float(queries, nameof(queries));
        var qp = Index(queryPositions, nameof(queryPositions));
        var k = Float(keys, nameof(keys));
        var v = Float(values, nameof(values));
        var kp = Index(keyPositions, nameof(keyPositions));
        var result = Float(output, nameof(output));
        var scores = Own(lse, nameof(lse));
        CheckBlockAttention(q, qp, k, v, kp, result, scores, shape);
        if (q.Rows == 0)
            return;
        DType type = k.DType;
        var target = Target(result, type);
        var p = new BlockAttentionParams
        {
            NumHeads = shape.NumHeads,
            NumKvHeads = shape.NumKvHeads,
            HeadDim = shape.HeadDim,
            Scale = shape.Scale,
            Window = shape.SlidingWindow,
            KeyStart = 0,
            KeyCount = k.Rows,
        };
        RunBlockAttention(As(q, type, SlotInputA), qp, k, v, kp, target, scores, p);
        Finish(target, result);
    }

    public void MergeAttention(DeviceTensor outputA, DeviceTensor lseA, DeviceTensor outputB, DeviceTensor lseB)
    {
        Enter();
        var a = Float(outputA, nameof(outputA));
        var b = Float(outputB, nameof(outputB));
        var la = Own(lseA, nameof(lseA));
        var lb = Own(lseB, nameof(lseB));
        if (la.DType != DType.F32 || lb.DType != DType.F32 || la.Rows != a.Rows || lb.Rows != a.Rows || lb.Cols != la.Cols || la.Cols == 0 || a.Cols % la.Cols != 0)
            throw new ArgumentException($"lseA {la} and lseB {lb} must both be F32 [{a.Rows} x heads] with heads dividing the {a.Cols} columns of outputA.", nameof(lseA));
        SameShape(a, b, nameof(outputB));
        if (a.Rows == 0)
            return;
        Kernels(a.DType).MergeInPlace(stream, a, la, As(b, a.DType, SlotInputB), lb);
    }

    /// <summary>
    /// The one place that picks the kernel behind <see cref="BlockAttention"/>: small blocks (and graph capture, which
    /// cannot grow scratch) take the direct kernel, large ones the tensor-core flash kernel where it applies (16-bit
    /// storage, head dimension 64 or 128) and the cuBLAS path otherwise. Every path writes the same contract.
    /// </summary>
    private void RunBlockAttention(CudaTensor q, CudaTensor qp, CudaTensor k, CudaTensor v, CudaTensor kp, CudaTensor output, CudaTensor lse, BlockAttentionParams p)
    {
        if (capturing || (long)q.Rows * k.Rows < BlockGemmMinPairs)
        {
            DirectBlockAttention(q, qp, k, v, kp, output, lse, p, 0, q.Rows);
            return;
        }

        var flash = new AttentionParams { NumHeads = p.NumHeads, NumKvHeads = p.NumKvHeads, HeadDim = p.HeadDim, Scale = p.Scale, Window = p.Window };
        if (p.KeyStart != 0 || !TryFlashAttention(
                q.DType, flash, q.DevicePointer, q.Cols, qp, 0, q.Rows,
                k.DevicePointer, v.DevicePointer, k.Cols, kp, 0, p.KeyCount,
                output.DevicePointer, output.Cols, lse.DevicePointer))
            GemmBlockAttention(q, qp, k, v, kp, output, lse, p);
    }

    private void DirectBlockAttention(CudaTensor q, CudaTensor qp, CudaTensor k, CudaTensor v, CudaTensor kp, CudaTensor output, CudaTensor lse, BlockAttentionParams p, int rowStart, int rows)
    {
        p.RowStart = rowStart;
        var config = new KernelConfig(
            new Index3D(rows * p.NumHeads, 1, 1),
            new Index3D(BlockAttentionKernel.Threads, 1, 1),
            SharedMemoryConfig.RequestDynamic<float>(BlockAttentionKernel.SharedFloats(p.HeadDim)));
        Kernels(q.DType).BlockAttention(stream, config, q, qp, k, v, kp, output, lse, p);
    }

    /// <summary>
    /// Large blocks on the tensor cores, the pattern of the paged GEMM prefill: query rows in chunks whose fp32 scores
    /// fit <see cref="ScoreBudgetFloats"/>; per chunk, per KV group, S = scale·Q·Kᵀ (cuBLAS, fp32 out) over the key
    /// rows that can be visible to the chunk, a softmax masked by positions (probabilities and LSE), and O = P·V
    /// written into the output rows. Positions are read on the host from the tensors' mirrors (no stream wait) or,
    /// failing that, downloaded. When key positions ascend (ring partitions: one or two runs each), binary search
    /// bounds each chunk's keys to (min query position − window, max query position], so the causally invisible
    /// blocks of a zig-zag pair cost nothing; otherwise every key is scored and the mask alone keeps it exact.
    /// Query chunks end where a run of consecutive positions ends, so the two halves of a zig-zag partition get
    /// separate key ranges.
    /// </summary>
    private void GemmBlockAttention(CudaTensor q, CudaTensor qp, CudaTensor k, CudaTensor v, CudaTensor kp, CudaTensor output, CudaTensor lse, BlockAttentionParams p)
    {
        ReadOnlySpan<int> queryPositions = HostIndices(qp, ref hostQueryPositions);
        ReadOnlySpan<int> keyPositions = HostIndices(kp, ref hostKeyPositions);
        bool ascending = true;
        for (int j = 1; j < keyPositions.Length && ascending; j++)
            ascending = keyPositions[j] >= keyPositions[j - 1];

        int rows = q.Rows;
        int runEnd = 0;
        for (int r0 = 0; r0 < rows;)
        {
            if (runEnd <= r0)
            {
                runEnd = r0 + 1;
                while (runEnd < rows && queryPositions[runEnd] == queryPositions[runEnd - 1] + 1)
                    runEnd++;
            }

            int limit = runEnd - r0 >= BlockChunkMinRows ? runEnd - r0 : rows - r0;
            int n = Math.Min(limit, BudgetRows(p.NumHeads, k.Rows));
            var (low, high) = KeyRange(queryPositions.Slice(r0, n), keyPositions, ascending, p.Window);
            int grown = Math.Min(limit, BudgetRows(p.NumHeads, high - low));
            if (ascending && grown > n)
            {
                var (lowGrown, highGrown) = KeyRange(queryPositions.Slice(r0, grown), keyPositions, ascending, p.Window);
                if ((long)p.NumHeads * grown * (highGrown - lowGrown) <= ScoreBudgetFloats)
                    (n, low, high) = (grown, lowGrown, highGrown);
            }

            if (high <= low)
            {
                // No key of the block is visible to these rows: the direct kernel over no keys writes 0 and −∞.
                DirectBlockAttention(q, qp, k, v, kp, output, lse, p with { KeyStart = 0, KeyCount = 0 }, r0, n);
            }
            else
            {
                GemmBlockChunk(q, qp, k, v, kp, output, lse, p, r0, n, low, high - low);
            }

            r0 += n;
        }
    }

    private void GemmBlockChunk(CudaTensor q, CudaTensor qp, CudaTensor k, CudaTensor v, CudaTensor kp, CudaTensor output, CudaTensor lse, BlockAttentionParams p, int rowStart, int rows, int keyStart, int keyCount)
    {
        int group = p.NumHeads / p.NumKvHeads;
        int dim = p.HeadDim;
        int queryWidth = p.NumHeads * dim;
        int kvWidth = p.NumKvHeads * dim;
        var scores = Temporary(SlotPartialOut, p.NumHeads * rows, keyCount, DType.F32);
        var probabilities = Temporary(SlotPartialLse, p.NumHeads * rows, keyCount, k.DType);
        long headStride = (long)rows * keyCount;
        for (int i = 0; i < group; i++)
        {
            // Scores of heads g·group + i for every KV head g: column-major Sᵀ[keys × rows] = K_g · Q_hᵀ.
            StridedGemm(
                CublasLibrary.OpT, CublasLibrary.OpN, keyCount, rows, dim, p.Scale,
                k, (long)keyStart * kvWidth, kvWidth, dim,
                q, ((long)rowStart * queryWidth) + (i * dim), queryWidth, (long)group * dim,
                scores, i * headStride, keyCount, group * headStride,
                p.NumKvHeads);
        }

        Kernels(k.DType).BlockSoftmax(stream, scores, probabilities, lse, qp, kp, rows, rowStart, keyStart, p.Window);
        for (int i = 0; i < group; i++)
        {
            // Outputs of heads g·group + i: column-major O_hᵀ[dim × rows] = V_gᵀ · P_hᵀ, written into the output rows.
            StridedGemm(
                CublasLibrary.OpN, CublasLibrary.OpN, dim, rows, keyCount, 1f,
                v, (long)keyStart * kvWidth, kvWidth, dim,
                probabilities, i * headStride, keyCount, group * headStride,
                output, ((long)rowStart * queryWidth) + (i * dim), queryWidth, (long)group * dim,
                p.NumKvHeads);
        }
    }

    /// <summary>Key rows [low, high) that can be visible to queries at <paramref name="queryPositions"/>: all of them unless keys ascend.</summary>
    private static (int Low, int High) KeyRange(ReadOnlySpan<int> queryPositions, ReadOnlySpan<int> keyPositions, bool ascending, int window)
    {
        if (!ascending)
            return (0, keyPositions.Length);
        int min = int.MaxValue, max = int.MinValue;
        foreach (int position in queryPositions)
        {
            min = Math.Min(min, position);
            max = Math.Max(max, position);
        }

        int high = FirstAbove(keyPositions, max);
        int low = window > 0 ? FirstAbove(keyPositions, min - window) : 0;
        return (low, Math.Max(low, high));
    }

    /// <summary>Index of the first ascending position greater than <paramref name="bound"/>.</summary>
    private static int FirstAbove(ReadOnlySpan<int> ascending, long bound)
    {
        int low = 0, high = ascending.Length;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (ascending[middle] <= bound)
                low = middle + 1;
            else
                high = middle;
        }

        return low;
    }

    private int BudgetRows(int heads, int keys) => (int)Math.Clamp(ScoreBudgetFloats / ((long)heads * Math.Max(1, keys)), BlockChunkMinRows, int.MaxValue);

    /// <summary>An I32 tensor's values on the host: from its mirror when known, else downloaded (a stream wait).</summary>
    private ReadOnlySpan<int> HostIndices(CudaTensor tensor, ref int[] buffer)
    {
        int count = checked((int)tensor.ElementCount);
        if (tensor.Mirror is { } mirror && mirror.TryRead(tensor.MirrorOffset, count, out var known))
            return known;
        buffer = Fit(buffer, count);
        CopyOut(tensor.Ints, buffer.AsSpan(0, count));
        return buffer.AsSpan(0, count);
    }

    private static void CheckBlockAttention(CudaTensor q, CudaTensor qp, CudaTensor k, CudaTensor v, CudaTensor kp, CudaTensor output, CudaTensor lse, AttentionShape shape)
    {
        if (shape.NumHeads <= 0 || shape.NumKvHeads <= 0 || shape.NumHeads % shape.NumKvHeads != 0)
            throw new ArgumentException($"NumHeads {shape.NumHeads} must be a positive multiple of NumKvHeads {shape.NumKvHeads}.", nameof(shape));
        if (shape.HeadDim <= 0 || shape.HeadDim > 1024)
            throw new ArgumentException($"HeadDim {shape.HeadDim} must be in 1..1024.", nameof(shape));
        if (q.Cols != shape.QueryWidth)
            throw new ArgumentException($"queries {q} must have NumHeads·HeadDim = {shape.QueryWidth} columns.", "queries");
        if (k.Cols != shape.KvWidth || v.Cols != shape.KvWidth || k.Rows != v.Rows || k.DType != v.DType)
            throw new ArgumentException($"keys {k} and values {v} must both be [K x {shape.KvWidth}] of one type.", "keys");
        if (qp.ElementCount != q.Rows || kp.ElementCount != k.Rows)
            throw new ArgumentException($"queryPositions {qp} and keyPositions {kp} must hold one position per query row ({q.Rows}) and key row ({k.Rows}).", "queryPositions");
        if (output.Rows != q.Rows || output.Cols != shape.QueryWidth)
            throw new ArgumentException($"output {output} must be [{q.Rows}x{shape.QueryWidth}].", "output");
        if (lse.DType != DType.F32 || lse.Rows != q.Rows || lse.Cols != shape.NumHeads)
            throw new ArgumentException($"lse {lse} must be F32 [{q.Rows}x{shape.NumHeads}].", "lse");
    }
}
