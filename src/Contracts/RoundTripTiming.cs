namespace InferMesh.Contracts;

/// <summary>Grain-call round trips between two silos: median and 90th percentile in seconds, over <see cref="Rounds"/> calls.</summary>
[GenerateSerializer, Immutable]
public sealed record RoundTripTiming(
    [property: Id(0)] int Rounds,
    [property: Id(1)] int RequestBytes,
    [property: Id(2)] int ReplyBytes,
    [property: Id(3)] double MedianSeconds,
    [property: Id(4)] double P90Seconds);
