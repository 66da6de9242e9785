using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using InferMesh.Kernels;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Float tensors on the wire: the elements as little-endian bytes of the type the device stores them in. A device
/// download widens bf16/fp16 to fp32 exactly, so narrowing back here gives the stored bits and the receiver's upload
/// restores them: nothing is rounded on the way.
/// </summary>
public static class RingWireFormat
{
    public static void Encode(ReadOnlySpan<float> values, DType type, Span<byte> bytes)
    {
        switch (type)
        {
            case DType.F32:
                MemoryMarshal.AsBytes(values).CopyTo(bytes);
                break;
            case DType.BF16:
                FloatConversion.SingleToBFloat16(values, MemoryMarshal.Cast<byte, ushort>(bytes));
                break;
            case DType.F16:
                TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(bytes));
                break;
            default:
                throw new NotSupportedException($"{type} is not a float type the ring sends.");
        }
    }

    public static void Decode(ReadOnlySpan<byte> bytes, DType type, Span<float> values) => FloatConversion.ToSingle(bytes, type, values);
}
