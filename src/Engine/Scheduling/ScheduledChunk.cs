namespace InferMesh.Engine.Scheduling;

/// <summary>Part of one step: feed tokens [Start, Start+Count) of a sequence; sample after it when NeedsLogits.</summary>
public readonly record struct ScheduledChunk(Sequence Sequence, int Start, int Count)
{
    /// <summary>True when the chunk reaches the sequence's last token, so its logits pick the next token.</summary>
    public bool NeedsLogits => Start + Count == Sequence.Length;
}
