using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace InferMesh.Kernels.Numerics;

/// <summary>
/// Conversions between fp32 and the 16-bit float formats weights arrive in (little-endian raw bytes, as safetensors
/// stores them). bf16 is the top half of an fp32 (https://cloud.google.com/tpu/docs/bfloat16), so widening is exact;
/// fp16 is IEEE 754 binary16, widened exactly by <see cref="TensorPrimitives.ConvertToSingle(ReadOnlySpan{Half}, Span{float})"/>.
/// </summary>
public static class FloatConversion
{
    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int SizeOf(DType type) => type switch
    {
        DType.F32 => 4,
        DType.I32 => 4,
        DType.F16 => 2,
        DType.BF16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };

    /// <summary>Widens raw little-endian elements of a float <paramref name="sourceType"/> (F32, F16 or BF16) to fp32.</summary>
    public static void ToSingle(ReadOnlySpan<byte> raw, DType sourceType, Span<float> destination)
    {
        switch (sourceType)
        {
            case DType.F32:
                CheckLength(raw, 4, destination.Length, nameof(raw));
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.Cast<byte, float>(raw).CopyTo(destination);
                }
                else
                {
                    for (int i = 0; i < destination.Length; i++)
                    {
                        destination[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * 4, 4));
                    }
                }

                break;
            case DType.BF16:
                BFloat16ToSingle(raw, destination);
                break;
            case DType.F16:
                HalfToSingle(raw, destination);
                break;
            default:
                throw new ArgumentException($"Cannot widen {sourceType} to fp32: only F32, F16 and BF16 are float types.", nameof(sourceType));
        }
    }

    /// <summary>Widens raw little-endian bf16 elements to fp32 (exact: the bf16 bits become the high half).</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<byte> raw, Span<float> destination)
    {
        CheckLength(raw, 2, destination.Length, nameof(raw));
        ref byte src = ref MemoryMarshal.GetReference(raw);
        ref uint dst = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        int n = destination.Length;
        int i = 0;
        if (BitConverter.IsLittleEndian && Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                Vector256<ushort> bits = Vector256.LoadUnsafe(ref Unsafe.As<byte, ushort>(ref Unsafe.Add(ref src, i * 2)));
                (Vector256<uint> low, Vector256<uint> high) = Vector256.Widen(bits);
                Vector256.ShiftLeft(low, 16).StoreUnsafe(ref dst, (nuint)i);
                Vector256.ShiftLeft(high, 16).StoreUnsafe(ref dst, (nuint)(i + Vector256<uint>.Count));
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dst, i) = (uint)BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(i * 2, 2)) << 16;
        }
    }

    /// <summary>Widens raw little-endian IEEE binary16 elements to fp32 (exact, subnormals included).</summary>
    public static void HalfToSingle(ReadOnlySpan<byte> raw, Span<float> destination)
    {
        CheckLength(raw, 2, destination.Length, nameof(raw));
        if (BitConverter.IsLittleEndian)
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(raw), destination);
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(i * 2, 2)));
        }
    }

    /// <summary>Rounds one fp32 to bf16 bits, round-to-nearest-even, NaN stays NaN (as torch's <c>.to(torch.bfloat16)</c>).</summary>
    public static ushort SingleToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>Rounds fp32 values to bf16 bits (see <see cref="SingleToBFloat16(float)"/>).</summary>
    public static void SingleToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} elements but the source has {source.Length}.", nameof(destination));
        }

        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = SingleToBFloat16(source[i]);
        }
    }

    /// <summary>Widens one bf16 bit pattern to fp32.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    private static void CheckLength(ReadOnlySpan<byte> raw, int elementSize, int elements, string parameter)
    {
        if ((long)raw.Length != (long)elements * elementSize)
        {
            throw new ArgumentException(
                $"Expected {elements} elements of {elementSize} bytes ({(long)elements * elementSize} bytes) but got {raw.Length} bytes.",
                parameter);
        }
    }
}
