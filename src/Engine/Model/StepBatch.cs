namespace InferMesh.Engine.Model;

/// <summary>
/// Host-side description of one forward step: a flattened batch of token rows from several sequences (prefill
/// chunks and decode tokens mixed), where each row's KV goes, and which rows need logits. Preallocated once at the
/// engine's limits and refilled each step, so building a step allocates nothing.
/// </summary>
public sealed class StepBatch
{
    public StepBatch(int maxTokens, int maxSequences, int maxBlocksPerSequence, int blockSize)
    {
        MaxTokens = maxTokens;
        MaxSequences = maxSequences;
        MaxBlocksPerSequence = maxBlocksPerSequence;
        BlockSize = blockSize;
        TokenIds = new int[maxTokens];
        Positions = new int[maxTokens];
        Slots = new int[maxTokens];
        QuerySequence = new int[maxTokens];
        BlockTables = new int[maxSequences * maxBlocksPerSequence];
        LogitRows = new int[Math.Max(maxTokens, maxSequences)];
    }

    public int MaxTokens { get; }

    public int MaxSequences { get; }

    public int MaxBlocksPerSequence { get; }

    public int BlockSize { get; }

    public int[] TokenIds { get; }

    public int[] Positions { get; }

    /// <summary>KV cache slot each row's key/value is written to.</summary>
    public int[] Slots { get; }

    /// <summary>Index of each row's sequence in this batch (its block-table row).</summary>
    public int[] QuerySequence { get; }

    /// <summary>[sequence, logical block] → physical block, row-major with <see cref="MaxBlocksPerSequence"/> columns.</summary>
    public int[] BlockTables { get; }

    /// <summary>Rows whose logits are wanted, one per sequence that samples after this step.</summary>
    public int[] LogitRows { get; }

    public int TokenCount { get; private set; }

    public int SequenceCount { get; private set; }

    public int LogitCount { get; private set; }

    /// <summary>Largest (position + 1) in the batch.</summary>
    public int MaxContext { get; private set; }

    public void Clear()
    {
        TokenCount = 0;
        SequenceCount = 0;
        LogitCount = 0;
        MaxContext = 0;
    }

    /// <summary>
    /// Adds tokens [start, start+count) of a sequence whose token ids are <paramref name="tokens"/> and whose
    /// blocks cover them. Returns the sequence's index in the batch. <paramref name="allLogits"/> asks for the logits
    /// of every row (teacher forcing), not only the last.
    /// </summary>
    public int Add(ReadOnlySpan<int> tokens, int start, int count, IReadOnlyList<int> blocks, bool needsLogits, bool allLogits = false) =>
        AddRows(tokens, null, start, count, blocks, needsLogits, allLogits);

    /// <summary>Adds the tokens at <paramref name="positions"/> (ascending; a sparse prefill) of a sequence.</summary>
    public int AddPositions(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, IReadOnlyList<int> blocks, bool needsLogits) =>
        AddRows(tokens, positions, 0, positions.Length, blocks, needsLogits, false);

    /// <summary>
    /// Pads a decode batch with <paramref name="rows"/> dummy sequences of one token (id 0) at position 0 whose KV
    /// lives in the single block of <paramref name="padBlockTable"/>, a block no sequence owns, so a graph captured for
    /// a larger batch can run this one (the dummies' logits are computed and ignored).
    /// </summary>
    public void AddPadding(int rows, IReadOnlyList<int> padBlockTable)
    {
        ReadOnlySpan<int> padRow = [0];
        for (var i = 0; i < rows; i++)
        {
            AddRows(padRow, padRow, 0, 1, padBlockTable, needsLogits: true, allLogits: false);
        }
    }

    private int AddRows(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, int start, int count, IReadOnlyList<int> blocks, bool needsLogits, bool allLogits)
    {
        if (TokenCount + count > MaxTokens || SequenceCount == MaxSequences)
        {
            throw new InvalidOperationException($"step batch overflow: {TokenCount + count} tokens / {SequenceCount + 1} sequences exceed {MaxTokens} / {MaxSequences}.");
        }

        if (blocks.Count > MaxBlocksPerSequence)
        {
            throw new InvalidOperationException($"sequence needs {blocks.Count} blocks, more than the {MaxBlocksPerSequence} a block table holds.");
        }

        var s = SequenceCount++;
        var tableRow = s * MaxBlocksPerSequence;
        for (var b = 0; b < blocks.Count; b++)
        {
            BlockTables[tableRow + b] = blocks[b];
        }

        for (var i = 0; i < count; i++)
        {
            var pos = positions.IsEmpty ? start + i : positions[i];
            var t = TokenCount + i;
            TokenIds[t] = tokens[pos];
            Positions[t] = pos;
            Slots[t] = (blocks[pos / BlockSize] * BlockSize) + (pos % BlockSize);
            QuerySequence[t] = s;
        }

        TokenCount += count;
        MaxContext = Math.Max(MaxContext, (positions.IsEmpty ? start + count : positions[count - 1] + 1));
        if (allLogits)
        {
            for (var i = 0; i < count; i++)
            {
                LogitRows[LogitCount++] = TokenCount - count + i;
            }
        }
        else if (needsLogits)
        {
            LogitRows[LogitCount++] = TokenCount - 1;
        }

        return s;
    }
}
