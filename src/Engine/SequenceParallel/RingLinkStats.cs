namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// What one ring member moved and how long it waited: bytes at the tensors' storage size, messages (one per tensor,
/// however the transport splits it), time blocked on the transport, and time staging tensors between device and
/// host. Wait + staging is the member's time spent in transfer; the rest of its wall time is compute.
/// </summary>
public sealed record RingLinkStats(long BytesSent, long BytesReceived, int MessagesSent, int MessagesReceived, double WaitSeconds, double StagingSeconds)
{
    public static RingLinkStats Zero { get; } = new(0, 0, 0, 0, 0, 0);

    public double TransferSeconds => WaitSeconds + StagingSeconds;

    public static RingLinkStats operator +(RingLinkStats a, RingLinkStats b) => new(
        a.BytesSent + b.BytesSent,
        a.BytesReceived + b.BytesReceived,
        a.MessagesSent + b.MessagesSent,
        a.MessagesReceived + b.MessagesReceived,
        a.WaitSeconds + b.WaitSeconds,
        a.StagingSeconds + b.StagingSeconds);
}
