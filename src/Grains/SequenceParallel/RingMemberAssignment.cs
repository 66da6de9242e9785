using InferMesh.Contracts;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>What a ring member is to do, from the coordinator.</summary>
[GenerateSerializer, Immutable]
public sealed record RingMemberAssignment
{
    [Id(0)] public required string RingId { get; init; }

    [Id(1)] public required int Index { get; init; }

    /// <summary>Shard keys of all members in ring order (where each member's grain lives).</summary>
    [Id(2)] public required IReadOnlyList<string> Members { get; init; }

    /// <summary>The whole prompt (each member takes its zig-zag share; the decoding member imports all of it).</summary>
    [Id(3)] public required IReadOnlyList<int> TokenIds { get; init; }

    [Id(4)] public PrefillRingSchedule Schedule { get; init; }

    /// <summary>Member that gathers the KV and imports it for decode; null for none.</summary>
    [Id(5)] public int? GatherTo { get; init; }

    /// <summary>Key the gathering member commits the import under.</summary>
    [Id(6)] public string? ImportKey { get; init; }

    [Id(7)] public TimeSpan ReceiveTimeout { get; init; }

    [Id(8)] public int MessageChunkBytes { get; init; }

    [Id(9)] public bool ReturnLogits { get; init; }
}
