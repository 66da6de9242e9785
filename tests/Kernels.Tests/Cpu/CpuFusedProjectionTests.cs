using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>
/// The packed-projection path gives the CPU backend's old numbers bit for bit: one GEMM over stacked weights equals
/// the separate GEMMs, RopeWriteQkv equals Rope then WriteKv on the parts, SwiGlu equals SiluMul on the halves.
/// </summary>
public sealed class CpuFusedProjectionTests
{
    [Theory]
    [InlineData(1, 64, 64, 32, 32)]
    [InlineData(7, 33, 5, 3, 3)]
    [InlineData(19, 129, 18, 7, 7)]
    [InlineData(64, 256, 256, 64, 64)]
    public void MatMul_of_stacked_weights_gives_the_bits_of_the_separate_matmuls(int rows, int inputs, int a, int b, int c)
    {
        using var backend = new CpuBackend(threads: 2);
        float[] x = CpuTestData.Random(rows * inputs, 1);
        int[] outs = [a, b, c];
        float[][] weights = outs.Select((o, i) => CpuTestData.Random(o * inputs, 10 + i)).ToArray();
        float[][] biases = outs.Select((o, i) => CpuTestData.Random(o, 20 + i)).ToArray();
        DeviceTensor input = backend.Tensor(x, rows, inputs);
        DeviceTensor packed = backend.Allocate(rows, a + b + c);

        backend.MatMul(input, backend.Tensor([.. weights.SelectMany(w => w)], a + b + c, inputs), backend.Tensor([.. biases.SelectMany(v => v)], 1, a + b + c), packed);

        float[] all = backend.Floats(packed);
        int offset = 0;
        for (int part = 0; part < 3; part++)
        {
            DeviceTensor alone = backend.Allocate(rows, outs[part]);
            backend.MatMul(input, backend.Tensor(weights[part], outs[part], inputs), backend.Tensor(biases[part], 1, outs[part]), alone);
            float[] expected = backend.Floats(alone);
            for (int r = 0; r < rows; r++)
            {
                CpuTestData.Identical(expected.AsSpan(r * outs[part], outs[part]), all.AsSpan((r * (a + b + c)) + offset, outs[part]));
            }

            offset += outs[part];
        }
    }

    [Theory]
    [InlineData(1, 4, 2, 16)]
    [InlineData(5, 4, 1, 8)]
    [InlineData(40, 8, 2, 64)]
    public void RopeWriteQkv_gives_the_bits_of_rope_then_write_kv(int rows, int heads, int kvHeads, int headDim)
    {
        using var backend = new CpuBackend(threads: 2);
        int q = heads * headDim, kv = kvHeads * headDim, width = q + (2 * kv), slots = rows + 9;
        float[] packed = CpuTestData.Random(rows * width, 30, scale: 2f);
        int[] positions = Enumerable.Range(0, rows).Select(r => (r * 977) % 5000).ToArray();
        int[] slotIds = Enumerable.Range(0, rows).Select(r => r == 1 ? -1 : slots - 1 - r).ToArray();
        float[] invFreq = Enumerable.Range(0, headDim / 2).Select(i => (float)Math.Pow(10000, -2.0 * i / headDim)).ToArray();
        DeviceTensor freq = backend.Tensor(invFreq, 1, headDim / 2);
        DeviceTensor pos = backend.Ints(positions, rows, 1);
        DeviceTensor slotTensor = backend.Ints(slotIds, rows, 1);
        float[] before = CpuTestData.Random(slots * kv, 31);

        DeviceTensor queries = backend.Allocate(rows, q);
        DeviceTensor keyCache = backend.Tensor([.. before], slots, kv);
        DeviceTensor valueCache = backend.Tensor([.. before], slots, kv);
        backend.RopeWriteQkv(backend.Tensor(packed, rows, width), headDim, pos, freq, 0.75f, queries, keyCache, valueCache, slotTensor);

        float[] Part(int start, int cols) => Enumerable.Range(0, rows).SelectMany(r => packed.AsSpan((r * width) + start, cols).ToArray()).ToArray();
        DeviceTensor expectedQ = backend.Tensor(Part(0, q), rows, q);
        DeviceTensor k = backend.Tensor(Part(q, kv), rows, kv);
        DeviceTensor expectedKeys = backend.Tensor([.. before], slots, kv);
        DeviceTensor expectedValues = backend.Tensor([.. before], slots, kv);
        backend.Rope(expectedQ, headDim, pos, freq, 0.75f);
        backend.Rope(k, headDim, pos, freq, 0.75f);
        backend.WriteKv(k, backend.Tensor(Part(q + kv, kv), rows, kv), expectedKeys, expectedValues, slotTensor);

        CpuTestData.Identical(backend.Floats(expectedQ), backend.Floats(queries));
        CpuTestData.Identical(backend.Floats(expectedKeys), backend.Floats(keyCache));
        CpuTestData.Identical(backend.Floats(expectedValues), backend.Floats(valueCache));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 33)]
    [InlineData(17, 176)]
    [InlineData(64, 1000)]
    public void SwiGlu_gives_the_bits_of_silu_mul_on_the_halves(int rows, int cols)
    {
        using var backend = new CpuBackend(threads: 2);
        float[] gateUp = CpuTestData.Random(rows * 2 * cols, 40, scale: 8f);
        DeviceTensor output = backend.Allocate(rows, cols);

        backend.SwiGlu(backend.Tensor(gateUp, rows, 2 * cols), output);

        float[] Half(int start) => Enumerable.Range(0, rows).SelectMany(r => gateUp.AsSpan((r * 2 * cols) + start, cols).ToArray()).ToArray();
        DeviceTensor expected = backend.Allocate(rows, cols);
        backend.SiluMul(backend.Tensor(Half(0), rows, cols), backend.Tensor(Half(cols), rows, cols), expected);
        CpuTestData.Identical(backend.Floats(expected), backend.Floats(output));
    }

    [Fact]
    public void RopeWriteQkv_names_qkv_when_its_width_is_not_q_plus_two_kv()
    {
        using var backend = new CpuBackend(threads: 1);
        var error = Assert.Throws<ArgumentException>(() => backend.RopeWriteQkv(
            backend.Allocate(2, 40), 8, backend.Column(0, 1), backend.Allocate(1, 4), 1f, backend.Allocate(2, 16), backend.Allocate(4, 8), backend.Allocate(4, 8), backend.Column(0, 1)));
        Assert.Equal("qkv", error.ParamName);
    }

    [Fact]
    public void RopeWriteQkv_refuses_a_slot_outside_the_cache_before_writing()
    {
        using var backend = new CpuBackend(threads: 1);
        DeviceTensor queries = backend.Allocate(2, 16);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => backend.RopeWriteQkv(
            backend.Tensor(CpuTestData.Random(64, 1), 2, 32), 8, backend.Column(0, 1), backend.Allocate(1, 4), 1f, queries, backend.Allocate(4, 8), backend.Allocate(4, 8), backend.Column(0, 4)));
        Assert.Equal("slots", error.ParamName);
        Assert.All(backend.Floats(queries), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void SwiGlu_names_gate_up_when_it_is_not_twice_as_wide_as_output()
    {
        using var backend = new CpuBackend(threads: 1);
        var error = Assert.Throws<ArgumentException>(() => backend.SwiGlu(backend.Allocate(2, 10), backend.Allocate(2, 4)));
        Assert.Equal("gateUp", error.ParamName);
    }
}
