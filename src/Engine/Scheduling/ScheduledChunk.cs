namespace InferMesh.Engine.Scheduling;

/// <summary>
/// Part of one step: feed tokens [Start, Start+Count) of a sequence — or, for a sparse prefill, the Count positions
/// of <see cref="Sequence.SparsePositions"/> from index Start — and sample after it when NeedsLogits.
/// </summary>
public readonly record struct ScheduledChunk(Sequence Sequence, int Start, int Count, bool Sparse = false)
{
    /// <summary>True when the chunk reaches the sequence's last token, so its logits pick the next token.</summary>
    public bool NeedsLogits => Sparse
        ? Start + Count == Sequence.SparsePositions!.Count && Sequence.SparsePositions[^1] == Sequence.Length - 1
        : Start + Count == Sequence.Length;
}
