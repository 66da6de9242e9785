namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Below this many query rows the tiled kernel runs without the host round trip this path needs.</summary>
    internal const int GemmPrefillMinRows = 256;

    /// <summary>Contiguous rows of one sequence worth a pair of GEMMs; shorter runs go through the decode kernel.</summary>
    private const int GemmPrefillMinRun = 64;


    private const int SlotGemmIndex = 7;

    /// <summary>fp32 scores per chunk (512 MB by default): query rows are processed in chunks that keep scores within it. Tests lower it to force chunking.</summary>
    internal long ScoreBudgetFloats { get; set; } = 128L << 20;

    private int[] hostSequence = [], hostPosition = [], hostTables = [], hostSlots = [];

    /// <summary>
    /// Large prefills on the tensor cores: for each run of consecutive positions of one sequence, gather its keys and
    /// values into contiguous scratch, then per KV group S = scale·Q·Kᵀ (cuBLAS, fp32 out), a masked softmax kernel
    /// (P and LSE), and O = P·V (cuBLAS) written straight into the output rows. The batch layout is read back to the
    /// host once per call (a stream synchronisation), so this path is skipped for small batches and during capture.
    /// Rows outside long runs (decode tokens mixed into the step) go through the decode kernel.
    /// </summary>
    private bool TryPrefillWithGemm(CudaTensor q, CudaTensor kc, CudaTensor vc, AttentionBatch batch, CudaTensor output, CudaTensor lse, AttentionParams p)
    {
        if (cublas is null || capturing || p.Rows < GemmPrefillMinRows)
            return false;
        var sequences = (CudaTensor)batch.QuerySequence;
        var positions = (CudaTensor)batch.QueryPosition;
        var tables = (CudaTensor)batch.BlockTables;
        int rows = p.Rows;
        hostSequence = Fit(hostSequence, rows);
        hostPosition = Fit(hostPosition, rows);
        hostTables = Fit(hostTables, (int)tables.ElementCount);
        CopyOut(sequences.Ints, hostSequence.AsSpan(0, rows));
        CopyOut(positions.Ints, hostPosition.AsSpan(0, rows));
        CopyOut(tables.Ints, hostTables.AsSpan(0, (int)tables.ElementCount));

        var runs = new List<(int Start, int Count)>();
        var leftovers = new List<int>();
        for (int start = 0; start < rows;)
        {
            int end = start + 1;
            while (end < rows && hostSequence[end] == hostSequence[start] && hostPosition[end] == hostPosition[end - 1] + 1)
                end++;
            if (end - start >= GemmPrefillMinRun)
            {
                runs.Add((start, end - start));
            }
            else
            {
                for (int r = start; r < end; r++)
                    leftovers.Add(r);
            }

            start = end;
        }

        if (runs.Count == 0)
            return false;
        foreach (var (start, count) in runs)
            GemmAttentionRun(q, kc, vc, output, lse, p, tables.Cols, start, count);
        if (leftovers.Count > 0)
        {
            var map = Temporary(SlotGemmIndex, leftovers.Count, 1, DType.I32);
            CopyIn(map.Ints, (ReadOnlySpan<int>)leftovers.ToArray());
            int maxContext = leftovers.Max(r => hostPosition[r]) + 1;
            Decode(q, kc, vc, batch, output, lse, p, maxContext, map, leftovers.Count);
        }

        return true;
    }

    private void GemmAttentionRun(CudaTensor q, CudaTensor kc, CudaTensor vc, CudaTensor output, CudaTensor lse, AttentionParams p, int maxBlocks, int rowStart, int count)
    {
        int sequence = hostSequence[rowStart];
        int firstPosition = hostPosition[rowStart];
        int low = p.Window > 0 ? Math.Max(0, firstPosition - p.Window + 1) : 0;
        int high = firstPosition + count - 1;
        int keys = high - low + 1;
        if ((long)(high / p.BlockSize) >= maxBlocks)
            throw new ArgumentException($"Query position {high} of sequence {sequence} lies beyond its block table ({maxBlocks} blocks of {p.BlockSize}).", "batch");
        hostSlots = Fit(hostSlots, keys);
        for (int j = 0; j < keys; j++)
        {
            int position = low + j;
            hostSlots[j] = hostTables[sequence * maxBlocks + position / p.BlockSize] * p.BlockSize + position % p.BlockSize;
        }

        DType type = kc.DType;
        int size = CudaTensor.SizeOf(type);
        int group = p.NumHeads / p.NumKvHeads;
        int dim = p.HeadDim;
        int queryWidth = p.NumHeads * dim;
        int kvWidth = p.NumKvHeads * dim;
        var slotIds = Temporary(SlotGemmIndex, keys, 1, DType.I32);
        CopyIn(slotIds.Ints, (ReadOnlySpan<int>)hostSlots.AsSpan(0, keys));
        var keyRows = Temporary(SlotInputB, keys, kvWidth, type);
        var valueRows = Temporary(SlotParameter, keys, kvWidth, type);
        var gather = Conversion(type, type);
        gather.GatherRows(stream, kc, slotIds, keyRows);
        gather.GatherRows(stream, vc, slotIds, valueRows);

        if (TryFlashAttention(
                type, p,
                q.DevicePointer + (nint)((long)rowStart * queryWidth * size), queryWidth, null, firstPosition, count,
                keyRows.DevicePointer, valueRows.DevicePointer, kvWidth, null, low, keys,
                output.DevicePointer + (nint)((long)rowStart * queryWidth * size), queryWidth,
                lse.DevicePointer + (nint)((long)rowStart * p.NumHeads * sizeof(float))))
            return;

        int chunk = (int)Math.Clamp(ScoreBudgetFloats / ((long)p.NumHeads * keys), 16, count);
        int dataType = CublasType(type);
        for (int c0 = 0; c0 < count; c0 += chunk)
        {
            int rowsInChunk = Math.Min(chunk, count - c0);
            int chunkPosition = firstPosition + c0;
            int keyStart = p.Window > 0 ? Math.Max(0, chunkPosition - p.Window + 1 - low) : 0;
            int keyEnd = chunkPosition + rowsInChunk - low;
            int chunkKeys = keyEnd - keyStart;
            long scoreCount = (long)p.NumHeads * rowsInChunk * chunkKeys;
            var scores = scratch.Get(SlotPartialOut, scoreCount * sizeof(float));
            var probabilities = Temporary(SlotPartialLse, p.NumHeads * rowsInChunk, chunkKeys, type);
            IntPtr queryRows = q.DevicePointer + (nint)((long)(rowStart + c0) * queryWidth * size);
            IntPtr keyBlock = keyRows.DevicePointer + (nint)((long)keyStart * kvWidth * size);
            IntPtr valueBlock = valueRows.DevicePointer + (nint)((long)keyStart * kvWidth * size);
            long headStride = (long)rowsInChunk * chunkKeys;
            for (int i = 0; i < group; i++)
            {
                // Scores of heads g·group + i for every KV head g: column-major Sᵀ[keys × rows] = K_g · Q_hᵀ.
                cublas!.GemmStridedBatchedEx(
                    cublasHandle, CublasLibrary.OpT, CublasLibrary.OpN, chunkKeys, rowsInChunk, dim, p.Scale,
                    keyBlock, dataType, kvWidth, dim,
                    queryRows + (nint)((long)i * dim * size), dataType, queryWidth, (long)group * dim,
                    0f, scores.NativePtr + (nint)(i * headStride * sizeof(float)), CublasLibrary.DataF32, chunkKeys, group * headStride,
                    p.NumKvHeads);
            }

            Kernels(type).AttentionSoftmax(stream, scores.View.BaseView.SubView(0, scoreCount * sizeof(float)).Cast<float>(), probabilities, lse, chunkKeys, rowsInChunk, rowStart + c0, chunkPosition, low + keyStart, p.Window);
            for (int i = 0; i < group; i++)
            {
                // Outputs of heads g·group + i: column-major O_hᵀ[dim × rows] = V_gᵀ · P_hᵀ, written into the output rows.
                cublas!.GemmStridedBatchedEx(
                    cublasHandle, CublasLibrary.OpN, CublasLibrary.OpN, dim, rowsInChunk, chunkKeys, 1f,
                    valueBlock, dataType, kvWidth, dim,
                    probabilities.DevicePointer + (nint)(i * headStride * size), dataType, chunkKeys, group * headStride,
                    0f, output.DevicePointer + (nint)(((long)(rowStart + c0) * queryWidth + (long)i * dim) * size), dataType, queryWidth, (long)group * dim,
                    p.NumKvHeads);
            }
        }
    }

    private static int[] Fit(int[] buffer, int count) => buffer.Length >= count ? buffer : new int[Math.Max(count, buffer.Length * 2)];
}
