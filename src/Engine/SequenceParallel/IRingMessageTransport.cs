namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Carries one ring member's messages: host-side payloads addressed by member index and <see cref="RingTag"/>.
/// Sends never wait for the receiver to ask (the receiver buffers), so a schedule that sends before it receives
/// cannot deadlock. Implementations: <see cref="InMemoryRingNetwork"/> (one process) and Orleans messages between
/// silos (InferMesh.Grains); a faster one (NCCL, RDMA) can replace them behind this interface.
/// </summary>
public interface IRingMessageTransport
{
    /// <summary>Completes when the transport has accepted the payload (it may still be in flight).</summary>
    Task SendAsync(int to, RingTag tag, RingPayload payload, CancellationToken cancellationToken);

    /// <summary>Completes when the message <paramref name="tag"/> from member <paramref name="from"/> has arrived whole.</summary>
    Task<RingPayload> ReceiveAsync(int from, RingTag tag, CancellationToken cancellationToken);
}
