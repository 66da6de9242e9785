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

    public DType Type { get; }

    public int Rows { get; }

    public int Cols { get; }

    public byte[] Data { get; }

    public override string ToString() => $"{Type}[{Rows}x{Cols}] ({Data.Length} bytes)";
}
