namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// What the ring cost model is computed from: the model's attention geometry and three device numbers.
/// </summary>
/// <param name="LinearSecondsPerToken">Time of everything but attention (GEMMs, norms, RoPE, MLP) per prompt token, all layers.</param>
/// <param name="AttentionFlopsPerSecond">Causal prefill attention throughput, counting 4·headDim FLOPs per visible query·key pair per head.</param>
/// <param name="LinkBytesPerSecond">Per-device bandwidth per direction (egress, and separately ingress) to any other device of the node.</param>
/// <param name="ActivationBytes">Bytes per element of Q, K, V and partial outputs on the wire (2 for bf16); LSE travels as fp32.</param>
/// <param name="DeviceMemoryBytes">Memory per device; a configuration whose weights + KV do not fit is reported as such.</param>
/// <param name="WeightBytes">Bytes of the model weights each member holds (all of them: sequence parallelism replicates weights).</param>
/// <remarks>
/// When <see cref="Steps"/> holds measurements they replace <paramref name="LinearSecondsPerToken"/> and
/// <paramref name="AttentionFlopsPerSecond"/>: per split size, interpolated between the measured sizes.
/// </remarks>
public sealed record RingCostInputs(
    string Shape,
    int Layers,
    int Heads,
    int KvHeads,
    int HeadDim,
    double LinearSecondsPerToken,
    double AttentionFlopsPerSecond,
    double LinkBytesPerSecond,
    int ActivationBytes,
    double DeviceMemoryBytes,
    double WeightBytes)
{
    /// <summary>Per-step times measured at several split sizes (empty: use the two constant throughputs).</summary>
    public IReadOnlyList<RingStepMeasurement> Steps { get; init; } = [];
}
