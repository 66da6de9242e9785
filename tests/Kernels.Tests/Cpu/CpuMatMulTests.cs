using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

public sealed class CpuMatMulTests
{
    public static TheoryData<int, int, int, bool> Sizes()
    {
        var data = new TheoryData<int, int, int, bool>();
        foreach (int rows in new[] { 1, 3, 17 })
        {
            foreach (int inputs in new[] { 1, 7, 33, 129 })
            {
                foreach (int outputs in new[] { 1, 7, 33 })
                {
                    data.Add(rows, inputs, outputs, (rows + inputs + outputs) % 2 == 0);
                }
            }
        }

        data.Add(5, 1024, 130, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MatMul_matches_double_reference(int rows, int inputs, int outputs, bool withBias)
    {
        using var backend = new CpuBackend(threads: 2);
        float[] x = CpuTestData.Random(rows * inputs, 1);
        float[] w = CpuTestData.Random(outputs * inputs, 2);
        float[]? bias = withBias ? CpuTestData.Random(outputs, 3) : null;
        DeviceTensor y = backend.Allocate(rows, outputs);

        backend.MatMul(backend.Tensor(x, rows, inputs), backend.Tensor(w, outputs, inputs), bias is null ? null : backend.Tensor(bias, 1, outputs), y);

        double[] expected = NaiveReference.MatMul(x, w, bias, rows, inputs, outputs);
        double[] magnitude = NaiveReference.MatMulMagnitude(x, w, rows, inputs, outputs);
        float[] actual = backend.Floats(y);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = (2e-6 * magnitude[i]) + 1e-6;
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"y[{i / outputs},{i % outputs}]: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Theory]
    [InlineData(19, 129, 37)]
    [InlineData(70, 64, 9)]
    public void MatMul_row_alone_equals_row_in_batch_bitwise(int rows, int inputs, int outputs)
    {
        using var backend = new CpuBackend(threads: 2);
        float[] x = CpuTestData.Random(rows * inputs, 4);
        DeviceTensor w = backend.Tensor(CpuTestData.Random(outputs * inputs, 5), outputs, inputs);
        DeviceTensor bias = backend.Tensor(CpuTestData.Random(outputs, 6), 1, outputs);
        DeviceTensor batchY = backend.Allocate(rows, outputs);
        backend.MatMul(backend.Tensor(x, rows, inputs), w, bias, batchY);
        float[] batch = backend.Floats(batchY);

        DeviceTensor aloneY = backend.Allocate(1, outputs);
        for (int t = 0; t < rows; t++)
        {
            backend.MatMul(backend.Tensor(x[(t * inputs)..((t + 1) * inputs)], 1, inputs), w, bias, aloneY);
            CpuTestData.Identical(backend.Floats(aloneY), batch.AsSpan(t * outputs, outputs));
        }
    }

    [Fact]
    public void MatMul_results_do_not_depend_on_thread_count()
    {
        const int rows = 23, inputs = 300, outputs = 301;
        float[] x = CpuTestData.Random(rows * inputs, 7);
        float[] w = CpuTestData.Random(outputs * inputs, 8);
        float[]? reference = null;
        foreach (int threads in new[] { 1, 2, 5 })
        {
            using var backend = new CpuBackend(threads);
            DeviceTensor y = backend.Allocate(rows, outputs);
            backend.MatMul(backend.Tensor(x, rows, inputs), backend.Tensor(w, outputs, inputs), null, y);
            float[] result = backend.Floats(y);
            if (reference is null)
            {
                reference = result;
            }
            else
            {
                CpuTestData.Identical(reference, result);
            }
        }
    }

    [Fact]
    public void MatMul_on_views_writes_only_the_viewed_rows()
    {
        using var backend = new CpuBackend(threads: 2);
        const int inputs = 9, outputs = 6;
        float[] x = CpuTestData.Random(5 * inputs, 9);
        float[] w = CpuTestData.Random(outputs * inputs, 10);
        DeviceTensor y = backend.Tensor(Enumerable.Repeat(-7f, 5 * outputs).ToArray(), 5, outputs);

        backend.MatMul(backend.Tensor(x, 5, inputs).View(1, 2), backend.Tensor(w, outputs, inputs), null, y.View(2, 2));

        float[] actual = backend.Floats(y);
        double[] expected = NaiveReference.MatMul(x[inputs..(3 * inputs)], w, null, 2, inputs, outputs);
        CpuTestData.Close(expected, actual[(2 * outputs)..(4 * outputs)], 1e-5);
        Assert.All(actual[..(2 * outputs)], v => Assert.Equal(-7f, v));
        Assert.All(actual[(4 * outputs)..], v => Assert.Equal(-7f, v));
    }

    [Fact]
    public void MatMul_refuses_an_output_that_shares_storage_with_its_input()
    {
        using var backend = new CpuBackend(threads: 1);
        DeviceTensor x = backend.Allocate(4, 4);
        DeviceTensor w = backend.Allocate(4, 4);

        var error = Assert.Throws<ArgumentException>(() => backend.MatMul(x.View(0, 2), w, null, x.View(1, 2)));
        Assert.Equal("y", error.ParamName);
    }

    [Fact]
    public void MatMul_names_the_tensor_whose_shape_is_wrong()
    {
        using var backend = new CpuBackend(threads: 1);

        var error = Assert.Throws<ArgumentException>(() => backend.MatMul(backend.Allocate(2, 8), backend.Allocate(3, 7), null, backend.Allocate(2, 3)));
        Assert.Equal("weight", error.ParamName);
        Assert.Contains("F32[3x7]", error.Message);
    }
}
