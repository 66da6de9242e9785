using InferMesh.Engine.SequenceParallel;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// The ring's first cross-process transport: each tensor goes to the receiving member's grain as Orleans messages of
/// at most the assignment's chunk size (Orleans refuses very large messages, and chunks travel in parallel); the
/// receiver's <see cref="RingMailbox"/> reassembles them. A send that fails (the peer's silo is gone) fails this
/// member's own receives at once, so it does not sit out the receive timeout.
/// </summary>
internal sealed class OrleansRingTransport : IRingMessageTransport
{
    private readonly IRingMemberGrain[] _members;
    private readonly int _self;
    private readonly int _chunkBytes;
    private readonly RingMailbox _mailbox;

    public OrleansRingTransport(IGrainFactory grains, RingMemberAssignment assignment, RingMailbox mailbox)
    {
        _members = assignment.Members.Select((shard, i) => grains.GetGrain<IRingMemberGrain>(RingMemberKey.Compose(assignment.RingId, i, shard))).ToArray();
        _self = assignment.Index;
        _chunkBytes = assignment.MessageChunkBytes;
        _mailbox = mailbox;
    }

    public async Task SendAsync(int to, RingTag tag, RingPayload payload, CancellationToken cancellationToken)
    {
        var data = payload.Data;
        var peer = _members[to];
        try
        {
            if (data.Length <= _chunkBytes)
            {
                await peer.Deliver(Message(tag, payload, 0, data)).WaitAsync(cancellationToken);
                return;
            }

            var sends = new List<Task>((data.Length + _chunkBytes - 1) / _chunkBytes);
            for (var offset = 0; offset < data.Length; offset += _chunkBytes)
            {
                sends.Add(peer.Deliver(Message(tag, payload, offset, data.AsSpan(offset, Math.Min(_chunkBytes, data.Length - offset)).ToArray())));
            }

            await Task.WhenAll(sends).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var failure = new InvalidOperationException($"ring member {_self} could not send {tag} to member {to}: {e.Message}", e);
            _mailbox.Fault(failure);
            throw failure;
        }
    }

    public Task<RingPayload> ReceiveAsync(int from, RingTag tag, CancellationToken cancellationToken) =>
        _mailbox.ReceiveAsync(from, tag).WaitAsync(cancellationToken);

    private RingMessage Message(RingTag tag, RingPayload payload, int offset, byte[] chunk) =>
        new(_self, tag.Layer, tag.Step, (int)tag.Kind, (int)payload.Type, payload.Rows, payload.Cols, payload.Data.Length, offset, chunk);
}
