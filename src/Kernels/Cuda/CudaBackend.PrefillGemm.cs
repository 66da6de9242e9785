using InferMesh.Kernels.Cuda.Flash;

namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Below this many query rows, when the layout is not mirrored on the host, the tiled kernel runs without the download this path would need.</summary>
    internal const int GemmPrefillMinRows = 256;

    /// <summary>Contiguous rows of one sequence worth a pair of GEMMs; shorter runs go through the decode kernel.</summary>
    private const int GemmPrefillMinRun = 64;

    /// <summary>Rows of one sequence worth a flash launch (a quarter of its 64-row tile); fewer go through the decode kernel.</summary>
    private const int FlashSegmentMinRows = 16;

    /// <summary>Scratch slots of the step's prefill plan: gather slots of every segment's keys, and the leftover row map.</summary>
    private const int SlotSegmentKeys = 7, SlotLeftoverRows = 8;

    /// <summary>fp32 scores per chunk (512 MB by default): query rows are processed in chunks that keep scores within it. Tests lower it to force chunking.</summary>
    internal long ScoreBudgetFloats { get; set; } = 128L << 20;

    private int[] hostSequence = [], hostPosition = [], hostTables = [];

    /// <summary>The layout the cached segments below were planned for (copies), so later layers of a step skip planning and uploads.</summary>
    private int[] plannedSequence = [], plannedPosition = [], plannedTables = [];
    private (int Rows, int Window, int BlockSize, int MaxBlocks, bool Flash) plannedShape;
    private readonly List<PrefillSegment> segments = [];
    private int plannedLeftovers, plannedLeftoverContext, plannedSlots;

    /// <summary>
    /// Large prefills on the tensor cores. Rows are grouped into segments — with the flash kernel, every group of
    /// consecutive rows of one sequence (any positions: a Cache-Craft sparse prefill is one launch); without it,
    /// runs of consecutive positions for cuBLAS — whose keys and values are gathered into contiguous scratch, then
    /// attended by the flash kernel or, per KV group, S = scale·Q·Kᵀ (cuBLAS, fp32 out), a masked softmax kernel and
    /// O = P·V (cuBLAS) written straight into the output rows. Other rows (decode tokens mixed into the step) go
    /// through the decode kernel. The layout is read on the host from the index mirrors the engine's uploads keep,
    /// and the plan (gather slots, row map) is uploaded once and reused by every layer of the step; only when a
    /// mirror is unknown is the layout downloaded (a stream wait), which small batches skip.
    /// </summary>
    private bool TryPrefillWithGemm(CudaTensor q, CudaTensor kc, CudaTensor vc, AttentionBatch batch, CudaTensor output, CudaTensor lse, AttentionParams p)
    {
        if (cublas is null || capturing)
            return false;
        var sequences = (CudaTensor)batch.QuerySequence;
        var positions = (CudaTensor)batch.QueryPosition;
        var tables = (CudaTensor)batch.BlockTables;
        bool mirrored = Mirrored(sequences) && Mirrored(positions) && Mirrored(tables);
        if (!mirrored && p.Rows < GemmPrefillMinRows)
            return false;
        int rows = p.Rows;
        var seq = HostIndices(sequences, ref hostSequence)[..rows];
        var pos = HostIndices(positions, ref hostPosition)[..rows];
        var tab = HostIndices(tables, ref hostTables);
        bool flash = FlashApplies(kc.DType, p) && q.DevicePointer % 16 == 0 && output.DevicePointer % 16 == 0;
        var shape = (rows, p.Window, p.BlockSize, tables.Cols, flash);
        if (shape != plannedShape || !seq.SequenceEqual(plannedSequence) || !pos.SequenceEqual(plannedPosition) || !tab.SequenceEqual(plannedTables))
        {
            PlanPrefillSegments(seq, pos, tab, p, tables.Cols, flash);
            plannedShape = shape;
            plannedSequence = seq.ToArray();
            plannedPosition = pos.ToArray();
            plannedTables = tab.ToArray();
        }

        if (segments.Count == 0)
            return false;
        var slotBuffer = scratch.Get(SlotSegmentKeys, (long)plannedSlots * sizeof(int));
        foreach (var segment in segments)
        {
            var slotIds = new CudaTensor(this, slotBuffer, (long)segment.SlotOffset * sizeof(int), segment.Keys, 1, DType.I32, ownsBuffer: false);
            AttendSegment(q, kc, vc, positions, output, lse, p, segment, slotIds);
        }

        if (plannedLeftovers > 0)
        {
            var map = new CudaTensor(this, scratch.Get(SlotLeftoverRows, (long)plannedLeftovers * sizeof(int)), 0, plannedLeftovers, 1, DType.I32, ownsBuffer: false);
            Decode(q, kc, vc, batch, output, lse, p, plannedLeftoverContext, map, plannedLeftovers);
        }

        return true;
    }

    private static bool Mirrored(CudaTensor tensor) => tensor.Mirror is { Known: true };

    /// <summary>Whether the flash kernel will take a segment (type, head size, 16-byte aligned rows; the pointer checks repeat at launch).</summary>
    private bool FlashApplies(DType type, AttentionParams p) =>
        UseFlashAttention && flashKernel is not null && FlashAttentionKernel.Supports(type, p.HeadDim)
        && p.NumHeads * p.HeadDim % 8 == 0 && p.NumKvHeads * p.HeadDim % 8 == 0;

    /// <summary>Groups the rows into segments and uploads their gather slots and the leftover row map (once per step).</summary>
    private void PlanPrefillSegments(ReadOnlySpan<int> seq, ReadOnlySpan<int> pos, ReadOnlySpan<int> tab, AttentionParams p, int maxBlocks, bool flash)
    {
        segments.Clear();
        var leftovers = new List<int>();
        var slots = new List<int>();
        int rows = seq.Length;
        for (int start = 0; start < rows;)
        {
            int end = start + 1;
            // Flash masks by absolute positions, so one sequence's rows form one segment whatever their positions;
            // cuBLAS scores assume a run of consecutive positions.
            while (end < rows && seq[end] == seq[start] && (flash || pos[end] == pos[end - 1] + 1))
                end++;
            if (end - start >= (flash ? FlashSegmentMinRows : GemmPrefillMinRun))
            {
                int sequence = seq[start];
                int first = int.MaxValue, last = int.MinValue;
                for (int r = start; r < end; r++)
                {
                    first = Math.Min(first, pos[r]);
                    last = Math.Max(last, pos[r]);
                }

                int low = p.Window > 0 ? Math.Max(0, first - p.Window + 1) : 0;
                if ((long)(last / p.BlockSize) >= maxBlocks)
                    throw new ArgumentException($"Query position {last} of sequence {sequence} lies beyond its block table ({maxBlocks} blocks of {p.BlockSize}).", "batch");
                bool contiguous = last - first == end - start - 1 && pos[start] == first;
                segments.Add(new PrefillSegment(start, end - start, first, low, last - low + 1, slots.Count, flash, contiguous));
                for (int position = low; position <= last; position++)
                    slots.Add(tab[sequence * maxBlocks + position / p.BlockSize] * p.BlockSize + position % p.BlockSize);
            }
            else
            {
                for (int r = start; r < end; r++)
                    leftovers.Add(r);
            }

            start = end;
        }

        plannedLeftovers = leftovers.Count;
        plannedLeftoverContext = 1;
        foreach (var r in leftovers)
            plannedLeftoverContext = Math.Max(plannedLeftoverContext, pos[r] + 1);
        plannedSlots = Math.Max(1, slots.Count);
        if (slots.Count > 0)
            CopyIn(scratch.Get(SlotSegmentKeys, (long)slots.Count * sizeof(int)).View.BaseView.SubView(0, (long)slots.Count * sizeof(int)).Cast<int>(), (ReadOnlySpan<int>)slots.ToArray());
        if (leftovers.Count > 0)
            CopyIn(scratch.Get(SlotLeftoverRows, (long)leftovers.Count * sizeof(int)).View.BaseView.SubView(0, (long)leftovers.Count * sizeof(int)).Cast<int>(), (ReadOnlySpan<int>)leftovers.ToArray());
    }

    /// <summary>
    /// Rows [RowStart, RowStart+Count) of one sequence attending to its keys at positions [Low, Low+Keys), whose slots
    /// start at SlotOffset in the plan's slot buffer; Contiguous when the rows sit at FirstPosition, FirstPosition+1, ….
    /// </summary>
    private readonly record struct PrefillSegment(int RowStart, int Count, int FirstPosition, int Low, int Keys, int SlotOffset, bool Flash, bool Contiguous);

    private void AttendSegment(CudaTensor q, CudaTensor kc, CudaTensor vc, CudaTensor positions, CudaTensor output, CudaTensor lse, AttentionParams p, PrefillSegment segment, CudaTensor slotIds)
    {
        DType type = kc.DType;
        int size = CudaTensor.SizeOf(type);
        int group = p.NumHeads / p.NumKvHeads;
        int dim = p.HeadDim;
        int queryWidth = p.NumHeads * dim;
        int kvWidth = p.NumKvHeads * dim;
        int rowStart = segment.RowStart, count = segment.Count, low = segment.Low, keys = segment.Keys;
        var keyRows = Temporary(SlotInputB, keys, kvWidth, type);
        var valueRows = Temporary(SlotParameter, keys, kvWidth, type);
        var gather = Conversion(type, type);
        gather.GatherRows(stream, kc, slotIds, keyRows);
        gather.GatherRows(stream, vc, slotIds, valueRows);

        // A flash segment's rows may sit at any positions (sparse prefill): the kernel reads them from the batch.
        var queryPositions = segment.Contiguous ? null : (CudaTensor)positions.View(rowStart, count);
        if (TryFlashAttention(
                type, p,
                q.DevicePointer + (nint)((long)rowStart * queryWidth * size), queryWidth, queryPositions, segment.FirstPosition, count,
                keyRows.DevicePointer, valueRows.DevicePointer, kvWidth, null, low, keys,
                output.DevicePointer + (nint)((long)rowStart * queryWidth * size), queryWidth,
                lse.DevicePointer + (nint)((long)rowStart * p.NumHeads * sizeof(float))))
            return;
        if (segment.Flash)
            throw new InvalidOperationException("The flash kernel refused a segment planned for it (alignment); the prefill plan and the kernel disagree.");

        int firstPosition = segment.FirstPosition;
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
