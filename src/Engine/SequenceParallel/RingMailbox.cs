using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// The receiving end of one ring member: messages (possibly split into chunks that arrive in any order) are
/// assembled and held until the member asks for them by sender and tag. Thread-safe. <see cref="Fault"/> fails every
/// pending and later receive with the reason, so a member waiting on a dead peer stops at once when the ring aborts.
/// </summary>
public sealed class RingMailbox
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(int From, RingTag Tag), Slot> _slots = [];
    private Exception? _fault;

    /// <summary>Accepts one chunk: bytes [offset, offset + chunk.Length) of a payload of <paramref name="totalBytes"/>.</summary>
    public void Deliver(int from, RingTag tag, DType type, int rows, int cols, int totalBytes, int offset, byte[] chunk)
    {
        if (offset < 0 || chunk.Length > totalBytes - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"chunk [{offset}, {offset + chunk.Length}) of {tag} from member {from} lies outside its {totalBytes} bytes.");
        }

        lock (_gate)
        {
            if (_fault is not null)
            {
                return; // the ring is over; drop late messages
            }

            var slot = SlotOf(from, tag);
            if (slot.Data is null)
            {
                slot.Data = chunk.Length == totalBytes ? chunk : new byte[totalBytes];
                slot.BytesLeft = totalBytes;
            }

            if (!ReferenceEquals(slot.Data, chunk))
            {
                chunk.CopyTo(slot.Data, offset);
            }

            slot.BytesLeft -= chunk.Length;
            if (slot.BytesLeft == 0)
            {
                slot.Done.TrySetResult(new RingPayload(type, rows, cols, slot.Data));
                Forget(from, tag, slot);
            }
        }
    }

    /// <summary>The whole payload of <paramref name="tag"/> from <paramref name="from"/>, once it has arrived. Each message is received once.</summary>
    /// <summary>Delivers a whole payload that is already on this member's device (no chunks to assemble).</summary>
    public void DeliverWhole(int from, RingTag tag, RingPayload payload)
    {
        lock (_gate)
        {
            if (_fault is not null)
            {
                payload.Release();
                return; // the ring is over; drop late messages
            }

            var slot = SlotOf(from, tag);
            slot.Done.TrySetResult(payload);
            Forget(from, tag, slot);
        }
    }

    public Task<RingPayload> ReceiveAsync(int from, RingTag tag)
    {
        lock (_gate)
        {
            if (_fault is not null)
            {
                return Task.FromException<RingPayload>(_fault);
            }

            var slot = SlotOf(from, tag);
            slot.Claimed = true;
            Forget(from, tag, slot);
            return slot.Done.Task;
        }
    }

    /// <summary>Fails every receive, pending or later, with <paramref name="reason"/>, and drops what is buffered.</summary>
    public void Fault(Exception reason)
    {
        lock (_gate)
        {
            _fault ??= reason;
            foreach (var slot in _slots.Values)
            {
                slot.Done.TrySetException(_fault);
            }

            _slots.Clear();
        }
    }

    /// <summary>Messages received in part or not yet asked for (a finished ring leaves none).</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _slots.Count;
            }
        }
    }

    private Slot SlotOf(int from, RingTag tag)
    {
        if (!_slots.TryGetValue((from, tag), out var slot))
        {
            slot = new Slot();
            _slots[(from, tag)] = slot;
        }

        return slot;
    }

    /// <summary>A slot leaves the table once it is both complete and claimed.</summary>
    private void Forget(int from, RingTag tag, Slot slot)
    {
        if (slot.Claimed && slot.Done.Task.IsCompleted)
        {
            _slots.Remove((from, tag));
        }
    }

    private sealed class Slot
    {
        public TaskCompletionSource<RingPayload> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public byte[]? Data { get; set; }

        public int BytesLeft { get; set; }

        public bool Claimed { get; set; }
    }
}
