using System.Diagnostics;
using System.Runtime.InteropServices;
using InferMesh.Kernels;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// One ring member's end of the network: stages tensors between its device and host payloads (in the tensor's
/// storage type, so nothing is rounded on the way), hands them to the transport, and keeps the member's traffic and
/// transfer-time counts. Device work (download on send, upload on <see cref="Store"/>) happens on the caller's flow,
/// never in a transport continuation, so the member's backend is used by one flow at a time.
/// </summary>
public sealed class RingLink(int member, IComputeBackend backend, IRingMessageTransport transport, TimeSpan receiveTimeout)
{
    private float[] _floats = [];
    private long _bytesSent, _bytesReceived, _waitTicks, _stagingTicks;
    private int _messagesSent, _messagesReceived;

    public int Member => member;

    public TimeSpan ReceiveTimeout => receiveTimeout;

    public RingLinkStats Stats => new(
        Interlocked.Read(ref _bytesSent),
        Interlocked.Read(ref _bytesReceived),
        Volatile.Read(ref _messagesSent),
        Volatile.Read(ref _messagesReceived),
        Seconds(Interlocked.Read(ref _waitTicks)),
        Seconds(Interlocked.Read(ref _stagingTicks)));

    /// <summary>
    /// Copies <paramref name="source"/> off the device now (the caller may overwrite it as soon as this returns) and
    /// sends it; the task completes when the transport has accepted it.
    /// </summary>
    public Task SendAsync(int to, RingTag tag, DeviceTensor source, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (transport is IRingDeviceTransport device && device.TrySendOnDevice(to, tag, backend, source))
        {
            Interlocked.Add(ref _stagingTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Add(ref _bytesSent, source.ElementCount * FloatConversion.SizeOf(source.DType));
            Interlocked.Increment(ref _messagesSent);
            return Task.CompletedTask;
        }

        var payload = Encode(source);
        Interlocked.Add(ref _stagingTicks, Stopwatch.GetTimestamp() - started);
        Interlocked.Add(ref _bytesSent, payload.Data.Length);
        Interlocked.Increment(ref _messagesSent);
        return transport.SendAsync(to, tag, payload, cancellationToken);
    }

    /// <summary>Waits for message <paramref name="tag"/> from member <paramref name="from"/>; fails after the receive timeout.</summary>
    public async Task<RingPayload> ReceiveAsync(int from, RingTag tag, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        RingPayload payload;
        try
        {
            payload = await transport.ReceiveAsync(from, tag, cancellationToken).WaitAsync(receiveTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"ring member {member} received no {tag} from member {from} within {receiveTimeout.TotalSeconds:F0} s: that member is stuck, slow or gone (raise the ring receive timeout if its device is just slow).");
        }
        finally
        {
            Interlocked.Add(ref _waitTicks, Stopwatch.GetTimestamp() - started);
        }

        Interlocked.Add(ref _bytesReceived, payload.ByteCount);
        Interlocked.Increment(ref _messagesReceived);
        return payload;
    }

    /// <summary>Waits for sends (or any transport work) to complete, counting the time as transfer wait.</summary>
    public async Task WaitAsync(Task pending)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await pending;
        }
        finally
        {
            Interlocked.Add(ref _waitTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    /// <summary>Uploads a received payload into <paramref name="destination"/> on this member's device (same shape).</summary>
    public void Store(RingPayload payload, DeviceTensor destination)
    {
        if (payload.Rows != destination.Rows || payload.Cols != destination.Cols)
        {
            throw new ArgumentException($"ring member {member}: a {payload} payload does not fit {destination}; the members disagree on the partition.", nameof(destination));
        }

        var started = Stopwatch.GetTimestamp();
        if (payload.Device is { } staged)
        {
            backend.Copy(staged, destination);
            payload.Release();
            Interlocked.Add(ref _stagingTicks, Stopwatch.GetTimestamp() - started);
            return;
        }

        var data = payload.Data.AsSpan();
        switch (payload.Type)
        {
            case DType.I32:
                backend.Upload(MemoryMarshal.Cast<byte, int>(data), destination);
                break;
            case DType.F32:
                backend.Upload(MemoryMarshal.Cast<byte, float>(data), destination);
                break;
            default:
                var floats = Floats(payload.Rows * payload.Cols);
                RingWireFormat.Decode(data, payload.Type, floats);
                backend.Upload(floats, destination);
                break;
        }

        Interlocked.Add(ref _stagingTicks, Stopwatch.GetTimestamp() - started);
    }

    private RingPayload Encode(DeviceTensor source)
    {
        var count = checked((int)source.ElementCount);
        var data = new byte[(long)count * FloatConversion.SizeOf(source.DType)];
        switch (source.DType)
        {
            case DType.I32:
                backend.Download(source, MemoryMarshal.Cast<byte, int>(data.AsSpan()));
                break;
            case DType.F32:
                backend.Download(source, MemoryMarshal.Cast<byte, float>(data.AsSpan()));
                break;
            case DType.BF16 or DType.F16:
                var floats = Floats(count);
                backend.Download(source, floats);
                RingWireFormat.Encode(floats, source.DType, data);
                break;
            default:
                throw new NotSupportedException($"ring member {member} cannot send a {source.DType} tensor.");
        }

        return new RingPayload(source.DType, source.Rows, source.Cols, data);
    }

    private Span<float> Floats(int count)
    {
        if (_floats.Length < count)
        {
            _floats = new float[count];
        }

        return _floats.AsSpan(0, count);
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
