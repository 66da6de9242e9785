using System.Buffers.Binary;
using InferMesh.Kernels.Cpu;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>Bit patterns and values from the bfloat16 and IEEE 754 binary16 format definitions.</summary>
public sealed class FloatConversionTests
{
    private static readonly (ushort Bits, float Value)[] BFloat16Patterns =
    [
        (0x3F80, 1f),
        (0xC000, -2f),
        (0x3E80, 0.25f),
        (0x8000, -0f),
        (0x7F80, float.PositiveInfinity),
        (0xFF80, float.NegativeInfinity),
        (0x0001, BitConverter.UInt32BitsToSingle(0x0001_0000)), // smallest bf16 subnormal, 2^-133
        (0x7F7F, BitConverter.UInt32BitsToSingle(0x7F7F_0000)), // largest finite bf16
        (0x7FC0, float.NaN),
    ];

    private static readonly (ushort Bits, float Value)[] HalfPatterns =
    [
        (0x3C00, 1f),
        (0xC000, -2f),
        (0x3555, 0.333251953125f),
        (0x8000, -0f),
        (0x7C00, float.PositiveInfinity),
        (0xFC00, float.NegativeInfinity),
        (0x0001, 5.9604644775390625E-8f), // smallest subnormal, 2^-24
        (0x03FF, 6.0975551605224609375E-5f), // largest subnormal, 1023·2^-24
        (0x7BFF, 65504f),
        (0x7E00, float.NaN),
    ];

    [Fact]
    public void LoadWeight_widens_bf16_bit_patterns_exactly()
    {
        AssertLoads(DType.BF16, BFloat16Patterns);
    }

    [Fact]
    public void LoadWeight_widens_fp16_bit_patterns_exactly()
    {
        AssertLoads(DType.F16, HalfPatterns);
    }

    [Fact]
    public void LoadWeight_reads_fp32_little_endian_bytes()
    {
        float[] values = CpuTestData.Random(21, 11);
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        }

        using var backend = new CpuBackend(threads: 2);
        DeviceTensor weight = backend.LoadWeight(raw, DType.F32, 3, 7);

        Assert.Equal(DType.F32, weight.DType);
        CpuTestData.Identical(values, backend.Floats(weight));
    }

    [Fact]
    public void LoadWeight_rejects_a_byte_count_that_does_not_match_the_shape()
    {
        using var backend = new CpuBackend(threads: 1);

        var error = Assert.Throws<ArgumentException>(() => backend.LoadWeight(new byte[10], DType.BF16, 2, 3));
        Assert.Equal("raw", error.ParamName);
        Assert.Contains("has 10 bytes but BF16[2x3] needs 12 bytes", error.Message);
    }

    [Fact]
    public void SingleToBFloat16_rounds_to_nearest_even()
    {
        Assert.Equal(0x3F80, FloatConversion.SingleToBFloat16(1f));
        Assert.Equal(0x3F80, FloatConversion.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x3F80_8000))); // tie → even
        Assert.Equal(0x3F82, FloatConversion.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x3F81_8000))); // tie → even
        Assert.Equal(0x3F81, FloatConversion.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x3F80_8001))); // above tie
        Assert.Equal(0x7F80, FloatConversion.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x7F7F_FFFF))); // overflows to inf
        Assert.True(float.IsNaN(FloatConversion.BFloat16ToSingle(FloatConversion.SingleToBFloat16(float.NaN))));
    }

    [Fact]
    public void Every_non_NaN_bf16_pattern_survives_a_round_trip()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float value = FloatConversion.BFloat16ToSingle((ushort)bits);
            if (!float.IsNaN(value))
            {
                Assert.Equal(bits, FloatConversion.SingleToBFloat16(value));
            }
        }
    }

    /// <summary>Loads the patterns repeated to 3×13 elements, so both the vector path and the scalar tail see them.</summary>
    private static void AssertLoads(DType type, (ushort Bits, float Value)[] patterns)
    {
        const int rows = 3, cols = 13;
        var raw = new byte[rows * cols * 2];
        var expected = new float[rows * cols];
        for (int i = 0; i < expected.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(i * 2), patterns[i % patterns.Length].Bits);
            expected[i] = patterns[i % patterns.Length].Value;
        }

        using var backend = new CpuBackend(threads: 2);
        DeviceTensor weight = backend.LoadWeight(raw, type, rows, cols);

        Assert.Equal(DType.F32, weight.DType);
        float[] actual = backend.Floats(weight);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]))
            {
                Assert.True(float.IsNaN(actual[i]), $"Element {i} should be NaN, got {actual[i]}.");
            }
            else
            {
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected[i]), BitConverter.SingleToUInt32Bits(actual[i]));
            }
        }
    }
}
