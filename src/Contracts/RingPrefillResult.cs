namespace InferMesh.Contracts;

/// <summary>The outcome of one ring prefill.</summary>
[GenerateSerializer, Immutable]
public sealed record RingPrefillResult
{
    [Id(0)] public string RingId { get; init; } = "";

    [Id(1)] public PrefillRingSchedule Schedule { get; init; }

    [Id(2)] public int Tokens { get; init; }

    [Id(3)] public IReadOnlyList<RingMemberReport> Members { get; init; } = [];

    /// <summary>Seconds from starting the members to the last one finishing (gather included), seen by the coordinator.</summary>
    [Id(4)] public double Seconds { get; init; }

    /// <summary>The last position's logits, when asked for.</summary>
    [Id(5)] public IReadOnlyList<float>? LastLogits { get; init; }

    /// <summary>Key under which member 0's engine holds the prompt's KV; null when it was not gathered or did not fit.</summary>
    [Id(6)] public string? ImportedPrefixKey { get; init; }

    public long BytesMoved => Members.Sum(m => m.BytesSent);
}
