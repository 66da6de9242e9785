using System.Buffers.Binary;
using InferMesh.Kernels;

namespace InferMesh.Engine.Synthetic;

/// <summary>
/// Deterministic random tensor contents: element i of a tensor is a function of (seed, tensor name, i) only
/// (SplitMix64 counter hashing), so any thread count and any chunking write the same bytes.
/// Values are uniform in [-a, a] with a = std·√3, i.e. the requested standard deviation.
/// </summary>
public static class RandomWeights
{
    public static ulong TensorSeed(long seed, string name)
    {
        var h = (ulong)seed ^ 0x9E3779B97F4A7C15UL;
        foreach (var c in name)
        {
            h = SplitMix(h ^ c);
        }

        return h;
    }

    /// <summary>Fills <paramref name="destination"/> (bytes of elements starting at element <paramref name="firstElement"/>).</summary>
    public static void Fill(ulong tensorSeed, DType type, float std, float constant, long firstElement, Span<byte> destination)
    {
        var size = type is DType.BF16 or DType.F16 ? 2 : 4;
        var count = destination.Length / size;
        var a = std * MathF.Sqrt(3f);
        for (var i = 0; i < count; i++)
        {
            var v = std == 0 ? constant : constant + (a * ((2f * Unit(tensorSeed, firstElement + i)) - 1f));
            var slot = destination.Slice(i * size, size);
            switch (type)
            {
                case DType.BF16:
                    BinaryPrimitives.WriteUInt16LittleEndian(slot, ToBFloat16(v));
                    break;
                case DType.F16:
                    BinaryPrimitives.WriteHalfLittleEndian(slot, (Half)v);
                    break;
                default:
                    BinaryPrimitives.WriteSingleLittleEndian(slot, v);
                    break;
            }
        }
    }

    /// <summary>Round-to-nearest-even float → bfloat16 (what torch's .to(bfloat16) does).</summary>
    public static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000)
        {
            return 0x7FC0; // NaN
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static float Unit(ulong seed, long index) => (SplitMix(seed + (ulong)index) >> 40) * (1f / (1 << 24));

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
