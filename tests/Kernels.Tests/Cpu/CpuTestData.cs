using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>Random inputs, tensor construction and tolerance checks shared by the CPU backend tests.</summary>
internal static class CpuTestData
{
    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var data = new float[length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = ((rng.NextSingle() * 2) - 1) * scale;
        }

        return data;
    }

    public static DeviceTensor Tensor(this CpuBackend backend, float[] data, int rows, int cols)
    {
        DeviceTensor tensor = backend.Allocate(rows, cols);
        backend.Upload(data, tensor);
        return tensor;
    }

    public static DeviceTensor Ints(this CpuBackend backend, int[] data, int rows, int cols)
    {
        DeviceTensor tensor = backend.Allocate(rows, cols, DType.I32);
        backend.Upload(data, tensor);
        return tensor;
    }

    public static DeviceTensor Column(this CpuBackend backend, params int[] data) => backend.Ints(data, data.Length, 1);

    public static float[] Floats(this CpuBackend backend, DeviceTensor tensor)
    {
        var data = new float[tensor.ElementCount];
        backend.Download(tensor, data);
        return data;
    }

    public static int[] IntsOf(this CpuBackend backend, DeviceTensor tensor)
    {
        var data = new int[tensor.ElementCount];
        backend.Download(tensor, data);
        return data;
    }

    /// <summary>Asserts |actual − expected| ≤ absolute + relative·|expected| element by element, naming the first miss.</summary>
    public static void Close(double[] expected, float[] actual, double absolute, double relative = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= absolute + (relative * Math.Abs(expected[i]))))
            {
                Assert.Fail($"Element {i}: expected {expected[i]:R}, got {actual[i]:R} (|Δ| = {error:E3}).");
            }
        }
    }

    /// <summary>Asserts two float arrays hold the same bits.</summary>
    public static void Identical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToUInt32Bits(expected[i]) != BitConverter.SingleToUInt32Bits(actual[i]))
            {
                Assert.Fail($"Element {i}: {expected[i]:R} alone but {actual[i]:R} here.");
            }
        }
    }
}
