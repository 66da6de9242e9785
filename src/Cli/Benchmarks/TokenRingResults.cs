using InferMesh.Engine.SequenceParallel;

namespace InferMesh.Cli.Benchmarks;

/// <summary>Everything one <c>bench-tokenring</c> run measured, for the report and for tests.</summary>
internal sealed class TokenRingResults
{
    public required string Model { get; init; }

    public string DeviceName { get; set; } = "";

    public IReadOnlyList<string> Devices { get; set; } = [];

    /// <summary>How ring members exchange tensors (peer access, one GPU, host).</summary>
    public string Link { get; set; } = "";

    public List<(int Tokens, double Seconds)> SingleDevice { get; } = [];

    public List<RingStepMeasurement> Steps { get; } = [];

    public List<RingRunResult> Rings { get; } = [];

    /// <summary>Member 0 → member 1 copy bandwidth of a query block, measured through the ring's transport.</summary>
    public double? MeasuredLinkBytesPerSecond { get; set; }

    public RingCostInputs? CostInputs { get; set; }

    /// <summary>Where the cost model's link bandwidth came from.</summary>
    public string LinkSource { get; set; } = "";

    public List<string> Notes { get; } = [];
}

/// <summary>One ring prefill against single-device prefill of the same prompt.</summary>
/// <param name="Seconds">Ring prefill, from the first embedding to every member finished (last logits on the host).</param>
/// <param name="ReferenceSeconds">Single-device chunked prefill of the same prompt on member 0's device.</param>
/// <param name="BytesPerLayer">Bytes the transport moved per layer during prefill.</param>
/// <param name="KvGatherBytes">Bytes moved to gather the members' KV onto member 0 for decode.</param>
internal sealed record RingRunResult(
    string Schedule,
    int Members,
    int Tokens,
    double Seconds,
    double ReferenceSeconds,
    double BytesPerLayer,
    double KvGatherBytes,
    double MaxAbsDelta,
    double Cosine,
    bool SameArgmax,
    IReadOnlyList<int> RingTokens,
    IReadOnlyList<int> ReferenceTokens)
{
    public int MatchingTokens => RingTokens.Zip(ReferenceTokens).TakeWhile(p => p.First == p.Second).Count();
}
