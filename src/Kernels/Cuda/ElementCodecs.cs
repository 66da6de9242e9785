using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// How a kernel reads and writes one stored element of a float tensor. Kernels are generic over a codec so one
/// source serves bf16, fp16 and fp32 storage; ILGPU specialises each instantiation, so the codec costs nothing.
/// All arithmetic happens in fp32 between <see cref="Decode"/> and <see cref="Encode"/>.
/// </summary>
internal interface IElementCodec<T>
    where T : unmanaged
{
    float Decode(T raw);

    T Encode(float value);
}

/// <summary>bfloat16 stored as its raw bits: the top half of an IEEE fp32 (ILGPU has no bf16 type).</summary>
internal readonly struct Bf16Codec : IElementCodec<ushort>
{
    public float Decode(ushort raw) => Bf16Bits.ToFloat(raw);

    public ushort Encode(float value) => Bf16Bits.FromFloat(value);
}

/// <summary>IEEE fp16 stored as its raw bits; conversions use the hardware cvt instructions.</summary>
internal readonly struct F16Codec : IElementCodec<ushort>
{
    public float Decode(ushort raw) => Interop.IntAsFloat(raw);

    public ushort Encode(float value) => Interop.FloatAsInt((ILGPU.Half)value);
}

internal readonly struct F32Codec : IElementCodec<float>
{
    public float Decode(float raw) => raw;

    public float Encode(float value) => value;
}

/// <summary>bf16 ⇄ fp32 by bit shifts, usable on the host and inside kernels.</summary>
internal static class Bf16Bits
{
    public static float ToFloat(ushort raw) => Interop.IntAsFloat((uint)raw << 16);

    /// <summary>Round to nearest, ties to even (what torch's .to(bfloat16) does); NaN stays a quiet NaN.</summary>
    public static ushort FromFloat(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u)
            return (ushort)((bits >> 16) | 0x0040u);
        bits += 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)(bits >> 16);
    }
}
