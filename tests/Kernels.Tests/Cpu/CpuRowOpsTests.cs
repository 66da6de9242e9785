using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

public sealed class CpuRowOpsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(17, 33)]
    [InlineData(3, 129)]
    [InlineData(40, 1024)]
    public void RmsNorm_matches_double_reference(int rows, int cols)
    {
        using var backend = new CpuBackend(threads: 2);
        float[] x = CpuTestData.Random(rows * cols, 20, scale: 3f);
        float[] weight = CpuTestData.Random(cols, 21);
        DeviceTensor output = backend.Allocate(rows, cols);

        backend.RmsNorm(backend.Tensor(x, rows, cols), backend.Tensor(weight, 1, cols), 1e-5f, output);

        CpuTestData.Close(NaiveReference.RmsNorm(x, weight, 1e-5f, rows, cols), backend.Floats(output), 1e-6, 1e-6);
    }

    [Theory]
    [InlineData(1, 16, 2, 1)]
    [InlineData(5, 128, 4, 2)]
    [InlineData(3, 40, 6, 6)]
    public void Head_rms_norm_normalises_each_query_and_key_head_and_leaves_value_heads(int rows, int headDim, int queryHeads, int kvHeads)
    {
        using var backend = new CpuBackend(threads: 2);
        int width = (queryHeads + (2 * kvHeads)) * headDim;
        float[] x = CpuTestData.Random(rows * width, 24, scale: 3f);
        float[] queryWeight = CpuTestData.Random(headDim, 25);
        float[] keyWeight = CpuTestData.Random(headDim, 26);
        DeviceTensor qkv = backend.Tensor((float[])x.Clone(), rows, width);

        backend.HeadRmsNorm(qkv, backend.Tensor(queryWeight, 1, headDim), backend.Tensor(keyWeight, 1, headDim), headDim, queryHeads, kvHeads, 1e-6f);

        double[] expected = x.Select(v => (double)v).ToArray();
        for (int r = 0; r < rows; r++)
        {
            for (int h = 0; h < queryHeads + kvHeads; h++)
            {
                int at = (r * width) + (h * headDim);
                double[] head = NaiveReference.RmsNorm(x[at..(at + headDim)], h < queryHeads ? queryWeight : keyWeight, 1e-6f, 1, headDim);
                head.CopyTo(expected, at);
            }
        }

        CpuTestData.Close(expected, backend.Floats(qkv), 1e-6, 1e-6);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(17, 33)]
    [InlineData(64, 1024)]
    public void SiluMul_matches_double_reference(int rows, int cols)
    {
        using var backend = new CpuBackend(threads: 2);
        float[] gate = CpuTestData.Random(rows * cols, 22, scale: 12f);
        gate[0] = -100f;
        float[] up = CpuTestData.Random(rows * cols, 23);
        DeviceTensor output = backend.Allocate(rows, cols);

        backend.SiluMul(backend.Tensor(gate, rows, cols), backend.Tensor(up, rows, cols), output);

        double[] expected = gate.Select((g, i) => NaiveReference.Silu(g) * up[i]).ToArray();
        CpuTestData.Close(expected, backend.Floats(output), 1e-7, 1e-6);
    }

    [Fact]
    public void SiluMul_may_write_over_its_up_input()
    {
        using var backend = new CpuBackend(threads: 1);
        float[] gate = CpuTestData.Random(33, 24, scale: 4f);
        float[] up = CpuTestData.Random(33, 25);
        DeviceTensor upTensor = backend.Tensor(up, 1, 33);

        backend.SiluMul(backend.Tensor(gate, 1, 33), upTensor, upTensor);

        CpuTestData.Close(gate.Select((g, i) => NaiveReference.Silu(g) * up[i]).ToArray(), backend.Floats(upTensor), 1e-7, 1e-6);
    }

    [Fact]
    public void Add_accumulates_elementwise()
    {
        using var backend = new CpuBackend(threads: 2);
        float[] a = CpuTestData.Random(3 * 33, 26);
        float[] b = CpuTestData.Random(3 * 33, 27);
        DeviceTensor accumulator = backend.Tensor(a, 3, 33);

        backend.Add(accumulator, backend.Tensor(b, 3, 33));

        CpuTestData.Identical(a.Select((v, i) => v + b[i]).ToArray(), backend.Floats(accumulator));
    }

    [Fact]
    public void Argmax_picks_the_lowest_index_among_equal_maxima()
    {
        using var backend = new CpuBackend(threads: 2);
        const int rows = 17, cols = 129;
        var rng = new Random(28);
        float[] logits = Enumerable.Range(0, rows * cols).Select(_ => (float)rng.Next(0, 5)).ToArray();
        for (int c = 0; c < cols; c++)
        {
            logits[(5 * cols) + c] = c == 3 ? -0f : c == 40 ? 0f : -1f; // row 5: -0 and +0 tie as the maximum
        }

        DeviceTensor ids = backend.Allocate(rows, 1, DType.I32);
        backend.Argmax(backend.Tensor(logits, rows, cols), ids);

        int[] expected = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 1; c < cols; c++)
            {
                if (logits[(r * cols) + c] > logits[(r * cols) + expected[r]])
                {
                    expected[r] = c;
                }
            }
        }

        Assert.Equal(3, expected[5]);
        Assert.Equal(expected, backend.IntsOf(ids));
    }

    [Fact]
    public void Embedding_copies_the_rows_of_the_given_ids()
    {
        using var backend = new CpuBackend(threads: 2);
        float[] table = CpuTestData.Random(10 * 7, 29);
        DeviceTensor output = backend.Allocate(4, 7);

        backend.Embedding(backend.Tensor(table, 10, 7), backend.Column(9, 0, 3, 3), output);

        float[] expected = new[] { 9, 0, 3, 3 }.SelectMany(id => table[(id * 7)..((id + 1) * 7)]).ToArray();
        CpuTestData.Identical(expected, backend.Floats(output));
    }

    [Fact]
    public void Embedding_names_an_id_outside_the_table()
    {
        using var backend = new CpuBackend(threads: 1);

        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => backend.Embedding(backend.Allocate(10, 4), backend.Column(1, 10), backend.Allocate(2, 4)));
        Assert.Equal("ids", error.ParamName);
        Assert.Contains("token id 10 at row 1", error.Message);
    }

    [Fact]
    public void GatherRows_copies_the_indexed_rows()
    {
        using var backend = new CpuBackend(threads: 1);
        float[] source = CpuTestData.Random(5 * 3, 30);
        DeviceTensor output = backend.Allocate(3, 3);

        backend.GatherRows(backend.Tensor(source, 5, 3), backend.Column(4, 4, 1), output);

        CpuTestData.Identical([.. source[12..15], .. source[12..15], .. source[3..6]], backend.Floats(output));
    }

    [Fact]
    public void WriteKv_scatters_rows_to_slots_and_skips_negative_slots()
    {
        using var backend = new CpuBackend(threads: 1);
        float[] keys = CpuTestData.Random(3 * 4, 31);
        float[] values = CpuTestData.Random(3 * 4, 32);
        DeviceTensor keyCache = backend.Allocate(6, 4);
        DeviceTensor valueCache = backend.Allocate(6, 4);

        backend.WriteKv(backend.Tensor(keys, 3, 4), backend.Tensor(values, 3, 4), keyCache, valueCache, backend.Column(5, -1, 0));

        float[] k = backend.Floats(keyCache);
        float[] v = backend.Floats(valueCache);
        CpuTestData.Identical(keys[..4], k[20..24]);
        CpuTestData.Identical(keys[8..12], k[..4]);
        CpuTestData.Identical(values[..4], v[20..24]);
        CpuTestData.Identical(values[8..12], v[..4]);
        Assert.All(k[4..20], x => Assert.Equal(0f, x));
    }

    [Fact]
    public void WriteKv_names_a_slot_outside_the_cache()
    {
        using var backend = new CpuBackend(threads: 1);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => backend.WriteKv(
            backend.Allocate(1, 4), backend.Allocate(1, 4), backend.Allocate(6, 4), backend.Allocate(6, 4), backend.Column(6)));
        Assert.Contains("Slot 6", error.Message);
    }

    [Fact]
    public void Row_operations_on_views_touch_only_the_viewed_rows()
    {
        using var backend = new CpuBackend(threads: 2);
        const int rows = 5, cols = 8;
        float[] data = CpuTestData.Random(rows * cols, 33);
        DeviceTensor x = backend.Tensor(data, rows, cols);
        DeviceTensor weight = backend.Tensor(CpuTestData.Random(cols, 34), 1, cols);

        backend.RmsNorm(x.View(1, 1), weight, 1e-6f, x.View(1, 1));
        backend.SiluMul(x.View(2, 1), x.View(2, 1), x.View(2, 1));
        backend.Add(x.View(3, 1), x.View(3, 1));
        backend.Rope(x.View(4, 1), 4, backend.Column(3), backend.Tensor([1f, 0.5f], 1, 2), 1f);

        float[] after = backend.Floats(x);
        CpuTestData.Identical(data[..cols], after[..cols]);
        for (int r = 1; r < rows; r++)
        {
            Assert.NotEqual(data[r * cols], after[r * cols]);
        }

        CpuTestData.Identical(data[(3 * cols)..(4 * cols)].Select(v => v + v).ToArray(), after[(3 * cols)..(4 * cols)]);
    }

    [Fact]
    public void Row_operations_give_a_row_the_same_bits_alone_as_in_a_batch()
    {
        using var backend = new CpuBackend(threads: 2);
        const int rows = 40, cols = 1031;
        float[] x = CpuTestData.Random(rows * cols, 35, scale: 5f);
        float[] up = CpuTestData.Random(rows * cols, 36);
        DeviceTensor weight = backend.Tensor(CpuTestData.Random(cols, 37), 1, cols);
        DeviceTensor norm = backend.Allocate(rows, cols);
        DeviceTensor silu = backend.Allocate(rows, cols);
        backend.RmsNorm(backend.Tensor(x, rows, cols), weight, 1e-5f, norm);
        backend.SiluMul(backend.Tensor(x, rows, cols), backend.Tensor(up, rows, cols), silu);

        DeviceTensor one = backend.Allocate(1, cols);
        foreach (int r in new[] { 0, 17, 39 })
        {
            float[] row = x[(r * cols)..((r + 1) * cols)];
            backend.RmsNorm(backend.Tensor(row, 1, cols), weight, 1e-5f, one);
            CpuTestData.Identical(backend.Floats(norm).AsSpan(r * cols, cols), backend.Floats(one));
            backend.SiluMul(backend.Tensor(row, 1, cols), backend.Tensor(up[(r * cols)..((r + 1) * cols)], 1, cols), one);
            CpuTestData.Identical(backend.Floats(silu).AsSpan(r * cols, cols), backend.Floats(one));
        }
    }

    [Fact]
    public void Allocate_refuses_16_bit_storage_and_says_what_to_use()
    {
        using var backend = new CpuBackend(threads: 1);

        var error = Assert.Throws<NotSupportedException>(() => backend.Allocate(2, 2, DType.BF16));
        Assert.Contains("LoadWeight", error.Message);
    }

    [Fact]
    public void Copy_and_download_round_trip_through_views()
    {
        using var backend = new CpuBackend(threads: 1);
        float[] data = CpuTestData.Random(4 * 3, 38);
        DeviceTensor source = backend.Tensor(data, 4, 3);
        DeviceTensor destination = backend.Allocate(2, 3);

        backend.Copy(source.View(2, 2), destination);

        CpuTestData.Identical(data[6..], backend.Floats(destination));
        Assert.Equal([7f, -2f], backend.Floats(backend.Column(7, -2)));
    }

    [Fact]
    public void Expert_outputs_are_scaled_and_added_to_their_rows()
    {
        using var backend = new CpuBackend(threads: 1);
        InferMesh.Kernels.Tests.Cuda.KernelChecks.ScatterScaledRows(backend, 6, 11, 20, 19, accumulate: true);
        InferMesh.Kernels.Tests.Cuda.KernelChecks.ScatterScaledRows(backend, 3, 7, 12, 21, accumulate: false);
    }

    [Fact]
    public void Adding_two_rows_into_the_same_accumulator_row_is_refused()
    {
        using var backend = new CpuBackend(threads: 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => backend.ScatterScaledRows(
            backend.Tensor(new float[8], 2, 4), backend.Ints([3, 3], 2, 1), backend.Tensor([1f, 1f], 2, 1), backend.Tensor(new float[20], 5, 4), accumulate: true));
        Assert.Contains("repeats", error.Message);
    }
}
