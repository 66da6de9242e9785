using InferMesh.Kernels;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>Random inputs already rounded to bf16 (so both sides see identical values) and error measures.</summary>
internal static class TestTensors
{
    public static float[] Bf16Random(Random random, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = RoundToBf16((float)(random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    /// <summary>Round to nearest even on the upper 16 bits (the bf16 format).</summary>
    public static float RoundToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint lower = bits & 0xFFFF;
        uint upper = bits & 0xFFFF0000;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 0x10000) != 0))
            upper += 0x10000;
        return BitConverter.UInt32BitsToSingle(upper);
    }

    public static DeviceTensor Upload(IComputeBackend backend, float[] values, int rows, int cols, DType? type = null)
    {
        var tensor = backend.Allocate(rows, cols, type);
        backend.Upload(values, tensor);
        return tensor;
    }

    public static DeviceTensor Upload(IComputeBackend backend, int[] values, int rows, int cols)
    {
        var tensor = backend.Allocate(rows, cols, DType.I32);
        backend.Upload(values, tensor);
        return tensor;
    }

    /// <summary>An output tensor pre-filled with NaN so an element no kernel wrote fails the comparison.</summary>
    public static DeviceTensor Poisoned(IComputeBackend backend, int rows, int cols, DType? type = null)
    {
        var tensor = backend.Allocate(rows, cols, type);
        backend.Upload(Enumerable.Repeat(float.NaN, rows * cols).ToArray(), tensor);
        return tensor;
    }

    public static float[] Download(IComputeBackend backend, DeviceTensor tensor)
    {
        var values = new float[tensor.ElementCount];
        backend.Download(tensor, values);
        return values;
    }

    /// <summary>‖actual − expected‖ / ‖expected‖; NaN anywhere gives NaN, which fails every threshold.</summary>
    public static double RelativeError(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            difference += d * d;
            norm += (double)expected[i] * expected[i];
        }

        return Math.Sqrt(difference) / Math.Max(Math.Sqrt(norm), 1e-30);
    }

    public static void AssertClose(float[] actual, float[] expected, double tolerance, string what)
    {
        double error = RelativeError(actual, expected);
        Assert.True(error < tolerance, $"{what}: relative error {error:E3} exceeds {tolerance:E1}");
    }
}
