namespace InferMesh.Contracts;

/// <summary>What one ring member did: its share of the prompt, its traffic and where its time went.</summary>
[GenerateSerializer, Immutable]
public sealed record RingMemberReport
{
    [Id(0)] public int Index { get; init; }

    [Id(1)] public string ShardKey { get; init; } = "";

    /// <summary>Prompt tokens this member computed.</summary>
    [Id(2)] public int Rows { get; init; }

    /// <summary>Bytes this member sent (tensors at their storage size), the KV gather included.</summary>
    [Id(3)] public long BytesSent { get; init; }

    [Id(4)] public long BytesReceived { get; init; }

    [Id(5)] public int MessagesSent { get; init; }

    /// <summary>Seconds blocked on the transport (waiting for blocks, or for sends to be accepted).</summary>
    [Id(6)] public double WaitSeconds { get; init; }

    /// <summary>Seconds copying tensors between the device and host payloads.</summary>
    [Id(7)] public double StagingSeconds { get; init; }

    /// <summary>Seconds from the start of its prefill to the end of its part (gather included).</summary>
    [Id(8)] public double WallSeconds { get; init; }

    /// <summary>Seconds waiting for its engine to lend the device (the engine's current step).</summary>
    [Id(9)] public double LeaseWaitSeconds { get; init; }

    /// <summary>Seconds of the KV gather on the decoding member after its own prefill (0 elsewhere).</summary>
    [Id(10)] public double GatherSeconds { get; init; }

    /// <summary>Time spent in transfer: waiting on the transport plus staging.</summary>
    public double TransferSeconds => WaitSeconds + StagingSeconds;
}
