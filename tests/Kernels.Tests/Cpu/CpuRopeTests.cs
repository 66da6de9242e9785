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
