namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// The ring's messages within one process: a send hands the payload straight to the receiver's mailbox. Used when
/// every member lives in this process (virtual devices, several GPUs of one silo through host staging).
/// </summary>
public sealed class InMemoryRingNetwork
{
    private readonly RingMailbox[] _mailboxes;

    public InMemoryRingNetwork(int members)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        _mailboxes = new RingMailbox[members];
        for (var i = 0; i < members; i++)
        {
            _mailboxes[i] = new RingMailbox();
        }
    }

    /// <summary>The transport member <paramref name="member"/> sends and receives through.</summary>
    public IRingMessageTransport TransportOf(int member) => new MemberTransport(this, member);

    /// <summary>Fails every member's pending and later receives (a member failed; the others must not wait for it).</summary>
    public void Abort(Exception reason)
    {
        foreach (var mailbox in _mailboxes)
        {
            mailbox.Fault(reason);
        }
    }

    private sealed class MemberTransport(InMemoryRingNetwork network, int member) : IRingMessageTransport
    {
        public Task SendAsync(int to, RingTag tag, RingPayload payload, CancellationToken cancellationToken)
        {
            network._mailboxes[to].Deliver(member, tag, payload.Type, payload.Rows, payload.Cols, payload.Data.Length, 0, payload.Data);
            return Task.CompletedTask;
        }

        public Task<RingPayload> ReceiveAsync(int from, RingTag tag, CancellationToken cancellationToken) =>
            network._mailboxes[member].ReceiveAsync(from, tag).WaitAsync(cancellationToken);
    }
}
