using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

public sealed class CpuRopeTests
{
    [Theory]
    [InlineData(1, 2, 1, 1f)]
    [InlineData(3, 8, 3, 1f)]
    [InlineData(17, 64, 3, 1f)]
    [InlineData(5, 128, 2, 0.75f)]
    public void Rope_matches_hf_rotate_half_in_double(int rows, int headDim, int heads, float scaling)
    {
        using var backend = new CpuBackend(threads: 2);
        int cols = heads * headDim;
        float[] x = CpuTestData.Random(rows * cols, 40, scale: 2f);
        int[] positions = Enumerable.Range(0, rows).Select(r => (r * 977) % 40_000).ToArray();
        float[] invFreq = Enumerable.Range(0, headDim / 2).Select(i => (float)(1.0 / Math.Pow(10_000, 2.0 * i / headDim))).ToArray();
        DeviceTensor tensor = backend.Tensor(x, rows, cols);

        backend.Rope(tensor, headDim, backend.Ints(positions, rows, 1), backend.Tensor(invFreq, 1, headDim / 2), scaling);

        CpuTestData.Close(NaiveReference.Rope(x, rows, cols, headDim, positions, invFreq, scaling), backend.Floats(tensor), 2e-6, 1e-6);
    }

    [Theory]
    [InlineData(4, 128, 3, 96)]
    [InlineData(2, 64, 2, 16)]
    public void Partial_rotary_rotates_the_leading_values_and_keeps_the_rest(int rows, int headDim, int heads, int rotaryDim)
    {
        using var backend = new CpuBackend(threads: 2);
        int cols = heads * headDim;
        float[] x = CpuTestData.Random(rows * cols, 42, scale: 2f);
        int[] positions = Enumerable.Range(0, rows).Select(r => (r * 613) % 9_000).ToArray();
        float[] invFreq = Enumerable.Range(0, rotaryDim / 2).Select(i => (float)(1.0 / Math.Pow(10_000, 2.0 * i / rotaryDim))).ToArray();
        DeviceTensor tensor = backend.Tensor(x, rows, cols);

        backend.Rope(tensor, headDim, backend.Ints(positions, rows, 1), backend.Tensor(invFreq, 1, invFreq.Length), 1.19f);

        float[] actual = backend.Floats(tensor);
        CpuTestData.Close(NaiveReference.Rope(x, rows, cols, headDim, positions, invFreq, 1.19f), actual, 2e-6, 1e-6);
        for (int at = 0; at < x.Length; at++)
        {
            if (at % headDim >= rotaryDim)
            {
                Assert.Equal(x[at], actual[at]); // q_pass: not rotated, not scaled
            }
        }
    }

    [Fact]
    public void Partial_rotary_of_packed_qkv_copies_the_unrotated_values_to_queries_and_cache()
    {
        using var backend = new CpuBackend(threads: 2);
        InferMesh.Kernels.Tests.Cuda.KernelChecks.RopeWriteQkv(backend, 6, 4, 2, 32, 17, rotaryDim: 24);
    }

    [Fact]
    public void Rope_at_position_zero_only_scales()
    {
        using var backend = new CpuBackend(threads: 1);
        float[] x = CpuTestData.Random(8, 41);
        DeviceTensor tensor = backend.Tensor(x, 1, 8);

        backend.Rope(tensor, 4, backend.Column(0), backend.Tensor([1f, 0.01f], 1, 2), 0.5f);

        CpuTestData.Identical(x.Select(v => v * 0.5f).ToArray(), backend.Floats(tensor));
    }

    [Fact]
    public void Rope_rejects_a_head_dim_that_does_not_divide_the_row()
    {
        using var backend = new CpuBackend(threads: 1);

        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => backend.Rope(backend.Allocate(1, 12), 8, backend.Column(0), backend.Allocate(1, 4), 1f));
        Assert.Equal("headDim", error.ParamName);
    }
}
