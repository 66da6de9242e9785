namespace InferMesh.Contracts;

/// <summary>A prompt prefilled by one engine's device alone: the last position's logits and the time it took.</summary>
[GenerateSerializer, Immutable]
public sealed record OneDevicePrefillResult(
    [property: Id(0)] IReadOnlyList<float> LastLogits,
    [property: Id(1)] double Seconds);
