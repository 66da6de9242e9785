namespace InferMesh.Kernels.Cpu;

/// <summary>Row gathers and scatters (embedding lookup, GatherRows, KV writes) and the checks of attention metadata.</summary>
internal static class CpuIndexing
{
    /// <summary>output[i] = source[indices[i]] after checking every index (nothing is written if one is bad).</summary>
    public static void GatherRows(CpuTensor source, CpuTensor indices, CpuTensor output, string what, string indexName)
    {
        ReadOnlySpan<int> rows = indices.AsIntSpan();
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)source.Rows)
            {
                throw new ArgumentOutOfRangeException(
                    indexName, rows[i], $"{what} {rows[i]} at row {i} of {indexName} is outside the {source.Rows} rows of {source}.");
            }
        }

        for (int i = 0; i < rows.Length; i++)
        {
            if (source.DType == DType.F32)
            {
                source.FloatRow(rows[i]).CopyTo(output.FloatRow(i));
            }
            else
            {
                source.IntRow(rows[i]).CopyTo(output.IntRow(i));
            }
        }
    }

    /// <summary>
    /// destination[indices[i]] = scales[i] · source[i] (+ destination[indices[i]] when accumulating) after checking every
    /// index (in range and distinct, so the result does not depend on the order of the rows). float32 throughout.
    /// </summary>
    public static void ScatterScaledRows(CpuTensor source, CpuTensor indices, CpuTensor scales, CpuTensor destination, bool accumulate)
    {
        ReadOnlySpan<int> rows = indices.AsIntSpan();
        bool[] seen = System.Buffers.ArrayPool<bool>.Shared.Rent(destination.Rows);
        try
        {
            Array.Clear(seen, 0, destination.Rows);
            for (int i = 0; i < rows.Length; i++)
            {
                if ((uint)rows[i] >= (uint)destination.Rows || seen[rows[i]])
                {
                    throw new ArgumentOutOfRangeException(
                        "rowIndices", rows[i], $"row index {rows[i]} at row {i} is outside the {destination.Rows} rows of {destination} or repeats an earlier one.");
                }

                seen[rows[i]] = true;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<bool>.Shared.Return(seen);
        }

        for (int i = 0; i < rows.Length; i++)
        {
            float scale = scales.FloatRow(i)[0];
            ReadOnlySpan<float> from = source.FloatRow(i);
            Span<float> to = destination.FloatRow(rows[i]);
            for (int c = 0; c < from.Length; c++)
            {
                to[c] = accumulate ? to[c] + (scale * from[c]) : scale * from[c];
            }
        }
    }

    /// <summary>keyCache[slots[t]] = keys[t] and valueCache[slots[t]] = values[t]; negative slots are skipped.</summary>
    public static void ScatterRows(CpuTensor keys, CpuTensor values, CpuTensor keyCache, CpuTensor valueCache, CpuTensor slots)
    {
        CheckSlots(slots, keyCache.Rows);
        ReadOnlySpan<int> targets = slots.AsIntSpan();
        for (int t = 0; t < targets.Length; t++)
        {
            if (targets[t] >= 0)
            {
                keys.FloatRow(t).CopyTo(keyCache.FloatRow(targets[t]));
                values.FloatRow(t).CopyTo(valueCache.FloatRow(targets[t]));
            }
        }
    }

    /// <summary>Checks that every slot is below the cache's <paramref name="cacheSlots"/> (negative slots mean "skip").</summary>
    public static void CheckSlots(CpuTensor slots, int cacheSlots)
    {
        ReadOnlySpan<int> targets = slots.AsIntSpan();
        for (int t = 0; t < targets.Length; t++)
        {
            if (targets[t] >= cacheSlots)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(slots), targets[t], $"Slot {targets[t]} at row {t} of slots is outside the {cacheSlots} slots of the KV cache.");
            }
        }
    }

    /// <summary>Whether two F32 tensors share any element of storage.</summary>
    public static bool Overlap(CpuTensor a, CpuTensor b) =>
        ReferenceEquals(a.FloatArray, b.FloatArray) && a.Offset < b.Offset + b.Length && b.Offset < a.Offset + a.Length;

    public static void CheckShape(AttentionShape shape)
    {
        if (shape.NumHeads <= 0 || shape.NumKvHeads <= 0 || shape.NumHeads % shape.NumKvHeads != 0)
        {
            throw new ArgumentException(
                $"NumHeads ({shape.NumHeads}) must be a positive multiple of NumKvHeads ({shape.NumKvHeads}).", nameof(shape));
        }

        if (shape.HeadDim <= 0 || shape.BlockSize <= 0 || shape.SlidingWindow < 0)
        {
            throw new ArgumentException(
                $"HeadDim ({shape.HeadDim}) and BlockSize ({shape.BlockSize}) must be positive and SlidingWindow ({shape.SlidingWindow}) not negative.",
                nameof(shape));
        }
    }

    /// <summary>
    /// Checks, before any work starts, that every query row names a sequence, a position within MaxContext, and that
    /// every KV block it will read is in its block table and inside the cache.
    /// </summary>
    public static void CheckBatch(CpuTensor sequences, CpuTensor positions, CpuTensor blockTables, int maxContext, AttentionShape shape, int cacheSlots)
    {
        int blockSize = shape.BlockSize;
        int cacheBlocks = cacheSlots / blockSize;
        for (int t = 0; t < sequences.Rows; t++)
        {
            int sequence = sequences.IntRow(t)[0];
            int position = positions.IntRow(t)[0];
            CpuArguments.Index(sequence, blockTables.Rows, "Sequence", t, "batch.QuerySequence");
            CpuArguments.Index(position, maxContext, "Position", t, "batch.QueryPosition");
            int first = shape.SlidingWindow > 0 ? Math.Max(0, position - shape.SlidingWindow + 1) : 0;
            int lastBlock = position / blockSize;
            if (lastBlock >= blockTables.Cols)
            {
                throw new ArgumentException(
                    $"Query row {t} at position {position} needs block {lastBlock} of sequence {sequence}, but batch.BlockTables has {blockTables.Cols} blocks per sequence.",
                    "batch");
            }

            ReadOnlySpan<int> table = blockTables.IntRow(sequence);
            for (int b = first / blockSize; b <= lastBlock; b++)
            {
                if ((uint)table[b] >= (uint)cacheBlocks)
                {
                    throw new ArgumentException(
                        $"Block {b} of sequence {sequence} (query row {t}) is physical block {table[b]}, outside the {cacheBlocks} blocks of the KV cache.",
                        "batch");
                }
            }
        }
    }
}
