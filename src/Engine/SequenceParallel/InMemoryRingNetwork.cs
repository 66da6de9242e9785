using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// The ring's messages within one process: a send hands the payload straight to the receiver's mailbox. Used when
/// every member lives in this process (virtual devices, several GPUs of one silo). Given the members' backends, a
/// tensor moves device to device where the backends can reach each other (<see cref="IPeerCopy"/>: GPU peer access or
/// two contexts on one GPU) into pooled staging on the receiver, and through host payloads otherwise.
/// </summary>
public sealed class InMemoryRingNetwork : IDisposable
{
    private readonly RingMailbox[] _mailboxes;
    private readonly IReadOnlyList<IComputeBackend>? _devices;
    private readonly Dictionary<(int Member, int Rows, int Cols, DType Type), Stack<DeviceTensor>> _staging = [];
    private readonly List<DeviceTensor> _allStaging = [];
    private readonly Lock _stagingGate = new();

    /// <param name="devices">Each member's backend, to move tensors device to device; null for host payloads only.</param>
    public InMemoryRingNetwork(int members, IReadOnlyList<IComputeBackend>? devices = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        if (devices is not null && devices.Count != members)
        {
            throw new ArgumentException($"{devices.Count} backends for {members} members.", nameof(devices));
        }

        _devices = devices;
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

    /// <summary>Frees the staging tensors; call once every member's device has finished the ring's work.</summary>
    public void Dispose()
    {
        lock (_stagingGate)
        {
            foreach (var t in _allStaging)
            {
                t.Dispose();
            }

            _allStaging.Clear();
            _staging.Clear();
        }
    }

    /// <summary>
    /// A staging tensor on member <paramref name="member"/>'s device. Reuse is safe without host waits: a peer copy into
    /// it starts only after the work already enqueued on that device — including the copy out of its last use.
    /// </summary>
    private DeviceTensor Rent(int member, int rows, int cols, DType type)
    {
        lock (_stagingGate)
        {
            if (_staging.TryGetValue((member, rows, cols, type), out var free) && free.Count > 0)
            {
                return free.Pop();
            }
        }

        var tensor = _devices![member].Allocate(rows, cols, type);
        lock (_stagingGate)
        {
            _allStaging.Add(tensor);
        }

        return tensor;
    }

    private void Return(int member, DeviceTensor tensor)
    {
        lock (_stagingGate)
        {
            var key = (member, tensor.Rows, tensor.Cols, tensor.DType);
            if (!_staging.TryGetValue(key, out var free))
            {
                free = new Stack<DeviceTensor>();
                _staging[key] = free;
            }

            free.Push(tensor);
        }
    }

    private sealed class MemberTransport(InMemoryRingNetwork network, int member) : IRingMessageTransport, IRingDeviceTransport
    {
        public bool TrySendOnDevice(int to, RingTag tag, IComputeBackend from, DeviceTensor source)
        {
            if (network._devices is not { } devices || from is not IPeerCopy peer || !peer.CanCopyTo(devices[to]))
            {
                return false;
            }

            var staging = network.Rent(to, source.Rows, source.Cols, source.DType);
            peer.CopyToPeer(source, devices[to], staging);
            network._mailboxes[to].DeliverWhole(member, tag, new RingPayload(staging, t => network.Return(to, t)));
            return true;
        }

        public Task SendAsync(int to, RingTag tag, RingPayload payload, CancellationToken cancellationToken)
        {
            network._mailboxes[to].Deliver(member, tag, payload.Type, payload.Rows, payload.Cols, payload.Data.Length, 0, payload.Data);
            return Task.CompletedTask;
        }

        public Task<RingPayload> ReceiveAsync(int from, RingTag tag, CancellationToken cancellationToken) =>
            network._mailboxes[member].ReceiveAsync(from, tag).WaitAsync(cancellationToken);
    }
}
