using InferMesh.Kernels;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// One tensor on the wire: its rows × cols elements as little-endian bytes of the type the sending device stores it
/// in (<see cref="Type"/>: bf16 activations travel as 2 bytes, fp32 LSE as 4, positions as I32), so the bytes moved
/// are what a device-to-device copy would move.
/// </summary>
public sealed class RingPayload
{
    public RingPayload(DType type, int rows, int cols, byte[] data)
    {
        var expected = (long)rows * cols * FloatConversion.SizeOf(type);
        if (data.LongLength != expected)
        {
            throw new ArgumentException($"a {type}[{rows}x{cols}] payload needs {expected} bytes, got {data.LongLength}.", nameof(data));
        }

        Type = type;
        Rows = rows;
        Cols = cols;
        Data = data;
    }

    /// <summary>
    /// A payload already on the receiver's device (copied there by <see cref="IPeerCopy"/>): no host bytes. The receiver
    /// copies it into place and calls <see cref="Release"/>, which hands the staging tensor back to its pool.
    /// </summary>
    public RingPayload(DeviceTensor onDevice, Action<DeviceTensor> release)
    {
        Type = onDevice.DType;
        Rows = onDevice.Rows;
        Cols = onDevice.Cols;
        Data = [];
        Device = onDevice;
        _release = release;
    }

    private readonly Action<DeviceTensor>? _release;

    /// <summary>The staging tensor on the receiver's device, or null for a host payload.</summary>
    public DeviceTensor? Device { get; }

    /// <summary>Bytes the payload carries, in its storage type.</summary>
    public long ByteCount => Device is null ? Data.LongLength : (long)Rows * Cols * FloatConversion.SizeOf(Type);

    /// <summary>Returns a device payload's staging tensor once its contents have been copied out (enqueued).</summary>
    public void Release()
    {
        if (Device is not null)
        {
            _release?.Invoke(Device);
        }
    }

    public DType Type { get; }

    public int Rows { get; }

    public int Cols { get; }

    public byte[] Data { get; }

    public override string ToString() => $"{Type}[{Rows}x{Cols}] ({ByteCount} bytes{(Device is null ? "" : ", on device")})";
}
