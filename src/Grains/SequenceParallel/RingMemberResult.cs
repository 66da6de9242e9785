using InferMesh.Contracts;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>A member's report, the last position's logits if it held that position and was asked, and whether it imported the KV.</summary>
[GenerateSerializer, Immutable]
public sealed record RingMemberResult(
    [property: Id(0)] RingMemberReport Report,
    [property: Id(1)] float[]? LastLogits,
    [property: Id(2)] bool Imported);
