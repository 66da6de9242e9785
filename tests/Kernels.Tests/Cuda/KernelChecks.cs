using InferMesh.Kernels;
using static InferMesh.Kernels.Tests.Cuda.TestTensors;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// One check per backend operation: random bf16 inputs, the operation on the device, the same formula in float64
/// (ReferenceMath), compared by relative error: within bf16 tolerance on 16-bit backends, within fp32 tolerance on
/// fp32 ones. Shared by the real-GPU and the simulated-device tests.
/// </summary>
internal static class KernelChecks
{
    /// <summary>bf16 outputs carry 8 significant bits: about 2e-3 relative error each (METHOD.md: 1e-3 to 1e-2).</summary>
    public const double Bf16Tolerance = 1e-2;

    /// <summary>
    /// fp32 outputs: a few ulp per operation (hardware sin/cos/exp2 approximations, summation order) give ~1e-6; 1e-5
    /// still fails a GEMM on TF32 tensor cores (10-bit mantissa: ~1e-3), which fp32 mode must not use.
    /// </summary>
    public const double F32Tolerance = 1e-5;

    public static double Tolerance(IComputeBackend backend) => backend.ActivationType == DType.F32 ? F32Tolerance : Bf16Tolerance;

    public static void RmsNorm(IComputeBackend backend, int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var x = Bf16Random(random, rows * cols, 3f);
        var w = Bf16Random(random, cols, 2f);
        using var tx = Upload(backend, x, rows, cols);
        using var tw = backend.LoadWeight(AsBytes(w), DType.F32, 1, cols);
        using var ty = Poisoned(backend, rows, cols);
        backend.RmsNorm(tx, tw, 1e-5f, ty);
        AssertClose(Download(backend, ty), ReferenceMath.RmsNorm(x, w, rows, cols, 1e-5f), Tolerance(backend), $"RmsNorm {rows}x{cols}");
    }

    /// <summary>Per-head RMSNorm on packed q|k|v rows: query and key heads normalised with their weights, value heads untouched.</summary>
    public static void HeadRmsNorm(IComputeBackend backend, int rows, int headDim, int queryHeads, int kvHeads, int seed)
    {
        var random = new Random(seed);
        int width = (queryHeads + (2 * kvHeads)) * headDim;
        var x = Bf16Random(random, rows * width, 3f);
        var qw = Bf16Random(random, headDim, 2f);
        var kw = Bf16Random(random, headDim, 2f);
        var expected = (float[])x.Clone();
        for (int r = 0; r < rows; r++)
        {
            for (int h = 0; h < queryHeads + kvHeads; h++)
            {
                var slice = x.AsSpan((r * width) + (h * headDim), headDim).ToArray();
                ReferenceMath.RmsNorm(slice, h < queryHeads ? qw : kw, 1, headDim, 1e-6f).CopyTo(expected.AsSpan((r * width) + (h * headDim), headDim));
            }
        }

        using var tx = Upload(backend, x, rows, width);
        using var tq = backend.LoadWeight(AsBytes(qw), DType.F32, 1, headDim);
        using var tk = backend.LoadWeight(AsBytes(kw), DType.F32, 1, headDim);
        backend.HeadRmsNorm(tx, tq, tk, headDim, queryHeads, kvHeads, 1e-6f);
        AssertClose(Download(backend, tx), expected, Tolerance(backend), $"HeadRmsNorm {rows} rows, {queryHeads}+{kvHeads} heads of {headDim}");
    }

    public static void Add(IComputeBackend backend, int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var a = Bf16Random(random, rows * cols);
        var x = Bf16Random(random, rows * cols);
        using var ta = Upload(backend, a, rows, cols);
        using var tx = Upload(backend, x, rows, cols);
        backend.Add(ta, tx);
        AssertClose(Download(backend, ta), a.Zip(x, (p, q) => p + q).ToArray(), Tolerance(backend), $"Add {rows}x{cols}");
    }

    /// <summary>
    /// The fused residual add + RMSNorm leaves the accumulator and the output exactly as Add then RmsNorm on the same
    /// backend do (the norm reads the stored sum), and both match the float64 reference.
    /// </summary>
    public static void AddRmsNorm(IComputeBackend backend, int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var a = Bf16Random(random, rows * cols, 3f);
        var x = Bf16Random(random, rows * cols, 3f);
        var w = Bf16Random(random, cols, 2f);
        using var fusedSum = Upload(backend, a, rows, cols);
        using var separateSum = Upload(backend, a, rows, cols);
        using var tx = Upload(backend, x, rows, cols);
        using var tw = backend.LoadWeight(AsBytes(w), DType.F32, 1, cols);
        using var fused = Poisoned(backend, rows, cols);
        using var separate = Poisoned(backend, rows, cols);
        backend.AddRmsNorm(fusedSum, tx, tw, 1e-5f, fused);
        backend.Add(separateSum, tx);
        backend.RmsNorm(separateSum, tw, 1e-5f, separate);
        string what = $"AddRmsNorm {rows}x{cols}";
        var sum = Download(backend, fusedSum);
        Assert.Equal(Download(backend, separateSum), sum);
        Assert.Equal(Download(backend, separate), Download(backend, fused));
        AssertClose(sum, a.Zip(x, (p, q) => p + q).ToArray(), Tolerance(backend), what + " sum");
        AssertClose(Download(backend, fused), ReferenceMath.RmsNorm(sum, w, rows, cols, 1e-5f), Tolerance(backend), what + " output");
    }

    public static void SiluMul(IComputeBackend backend, int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var gate = Bf16Random(random, rows * cols, 6f);
        var up = Bf16Random(random, rows * cols, 2f);
        using var tg = Upload(backend, gate, rows, cols);
        using var tu = Upload(backend, up, rows, cols);
        using var ty = Poisoned(backend, rows, cols);
        backend.SiluMul(tg, tu, ty);
        AssertClose(Download(backend, ty), ReferenceMath.SiluMul(gate, up), Tolerance(backend), $"SiluMul {rows}x{cols}");
    }

    public static void MatMul(IComputeBackend backend, int rows, int inFeatures, int outFeatures, bool withBias, DType? outputType, int seed)
    {
        var random = new Random(seed);
        var x = Bf16Random(random, rows * inFeatures);
        var w = Bf16Random(random, outFeatures * inFeatures, 0.5f);
        var bias = withBias ? Bf16Random(random, outFeatures) : null;
        using var tx = Upload(backend, x, rows, inFeatures);
        using var tw = backend.LoadWeight(Bf16Bytes(w), DType.BF16, outFeatures, inFeatures);
        using var tb = bias is null ? null : backend.LoadWeight(Bf16Bytes(bias), DType.BF16, 1, outFeatures);
        using var ty = Poisoned(backend, rows, outFeatures, outputType);
        backend.MatMul(tx, tw, tb, ty);
        var expected = ReferenceMath.MatMul(x, w, bias, rows, inFeatures, outFeatures);
        AssertClose(Download(backend, ty), expected, Tolerance(backend), $"MatMul {rows}x{inFeatures} · [{outFeatures}x{inFeatures}]ᵀ bias={withBias} out={outputType}");
    }

    /// <summary>Frequencies for a rotary dimension of <paramref name="rotaryDim"/> (0: the whole head).</summary>
    private static float[] Frequencies(int headDim, int rotaryDim)
    {
        int dim = rotaryDim == 0 ? headDim : rotaryDim;
        return Enumerable.Range(0, dim / 2).Select(i => (float)(1.0 / Math.Pow(500000.0, 2.0 * i / dim))).ToArray();
    }

    /// <summary>Rope against the reference; <paramref name="rotaryDim"/> below headDim rotates only that many leading values of each head.</summary>
    public static void Rope(IComputeBackend backend, int rows, int heads, int headDim, int maxPosition, int seed, int rotaryDim = 0)
    {
        var random = new Random(seed);
        int cols = heads * headDim;
        var x = Bf16Random(random, rows * cols, 2f);
        var positions = Enumerable.Range(0, rows).Select(_ => random.Next(maxPosition)).ToArray();
        var invFreq = Frequencies(headDim, rotaryDim);
        using var tx = Upload(backend, x, rows, cols);
        using var tp = Upload(backend, positions, rows, 1);
        using var tf = Upload(backend, invFreq, 1, invFreq.Length, DType.F32);
        backend.Rope(tx, headDim, tp, tf, 1.25f);
        var expected = ReferenceMath.Rope(x, rows, cols, headDim, positions, invFreq, 1.25f);
        AssertClose(Download(backend, tx), expected, Tolerance(backend), $"Rope rows={rows} heads={heads} headDim={headDim} rotary={rotaryDim}");
    }

    /// <summary>RopeWriteQkv on packed q | k | v rows against Rope of the q and k parts and their scatter to shuffled slots (one skipped).</summary>
    public static void RopeWriteQkv(IComputeBackend backend, int rows, int heads, int kvHeads, int headDim, int seed, int rotaryDim = 0)
    {
        var random = new Random(seed);
        int q = heads * headDim, kv = kvHeads * headDim, width = q + 2 * kv, poolSlots = rows + 11;
        var packed = Bf16Random(random, rows * width, 2f);
        var positions = Enumerable.Range(0, rows).Select(_ => random.Next(131_072)).ToArray();
        var invFreq = Frequencies(headDim, rotaryDim);
        var pool = Enumerable.Range(0, poolSlots).ToArray();
        random.Shuffle(pool);
        var slots = pool.Take(rows).ToArray();
        slots[rows / 2] = -1;
        var before = Bf16Random(random, poolSlots * kv);
        using var tqkv = Upload(backend, packed, rows, width);
        using var tp = Upload(backend, positions, rows, 1);
        using var tf = Upload(backend, invFreq, 1, invFreq.Length, DType.F32);
        using var ts = Upload(backend, slots, rows, 1);
        using var tq = Poisoned(backend, rows, q);
        using var kc = Upload(backend, before, poolSlots, kv, backend.CacheType);
        using var vc = Upload(backend, before, poolSlots, kv, backend.CacheType);
        backend.RopeWriteQkv(tqkv, headDim, tp, tf, 1.25f, tq, kc, vc, ts);

        float[] Part(int start, int cols) => Enumerable.Range(0, rows).SelectMany(r => packed.AsSpan(r * width + start, cols).ToArray()).ToArray();
        var keys = ReferenceMath.Rope(Part(q, kv), rows, kv, headDim, positions, invFreq, 1.25f);
        var values = Part(q + kv, kv);
        var expectedKeys = (float[])before.Clone();
        var expectedValues = (float[])before.Clone();
        for (int r = 0; r < rows; r++)
        {
            if (slots[r] < 0)
                continue;
            Array.Copy(keys, r * kv, expectedKeys, slots[r] * kv, kv);
            Array.Copy(values, r * kv, expectedValues, slots[r] * kv, kv);
        }

        string what = $"RopeWriteQkv rows={rows} heads={heads}/{kvHeads} headDim={headDim} rotary={rotaryDim}";
        AssertClose(Download(backend, tq), ReferenceMath.Rope(Part(0, q), rows, q, headDim, positions, invFreq, 1.25f), Tolerance(backend), what + " queries");
        AssertClose(Download(backend, kc), expectedKeys, Tolerance(backend), what + " keys");
        Assert.Equal(expectedValues, Download(backend, vc));
    }

    /// <summary>
    /// ScatterScaledRows of a few rows into shuffled distinct rows of a larger destination, against the same sum (or
    /// overwrite) in float64 with the product rounded to the backend's element type first; other rows stay untouched.
    /// </summary>
    public static void ScatterScaledRows(IComputeBackend backend, int rows, int destinationRows, int cols, int seed, bool accumulate)
    {
        var random = new Random(seed);
        var source = Bf16Random(random, rows * cols, 2f);
        var before = Bf16Random(random, destinationRows * cols, 2f);
        var pool = Enumerable.Range(0, destinationRows).ToArray();
        random.Shuffle(pool);
        var indices = pool.Take(rows).ToArray();
        var scales = Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble()).ToArray();
        using var ts = Upload(backend, source, rows, cols);
        using var ti = Upload(backend, indices, rows, 1);
        using var tw = Upload(backend, scales, rows, 1, DType.F32);
        using var ta = Upload(backend, before, destinationRows, cols);
        backend.ScatterScaledRows(ts, ti, tw, ta, accumulate);
        var expected = (float[])before.Clone();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                double product = (double)scales[r] * source[r * cols + c];
                int at = indices[r] * cols + c;
                expected[at] = (float)(accumulate ? before[at] + product : product);
            }
        }

        AssertClose(Download(backend, ta), expected, Tolerance(backend), $"ScatterScaledRows {rows} rows into {destinationRows}x{cols} accumulate={accumulate}");
    }

    /// <summary>SwiGlu over packed gate | up rows against silu(gate)·up in float64.</summary>
    public static void SwiGlu(IComputeBackend backend, int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var gateUp = Bf16Random(random, rows * 2 * cols, 6f);
        using var tg = Upload(backend, gateUp, rows, 2 * cols);
        using var ty = Poisoned(backend, rows, cols);
        backend.SwiGlu(tg, ty);
        float[] Half(int start) => Enumerable.Range(0, rows).SelectMany(r => gateUp.AsSpan(r * 2 * cols + start, cols).ToArray()).ToArray();
        AssertClose(Download(backend, ty), ReferenceMath.SiluMul(Half(0), Half(cols)), Tolerance(backend), $"SwiGlu {rows}x{cols}");
    }

    public static void Embedding(IComputeBackend backend, int vocab, int cols, int rows, int seed)
    {
        var random = new Random(seed);
        var table = Bf16Random(random, vocab * cols);
        var ids = Enumerable.Range(0, rows).Select(_ => random.Next(vocab)).ToArray();
        using var tt = backend.LoadWeight(Bf16Bytes(table), DType.BF16, vocab, cols);
        using var ti = Upload(backend, ids, rows, 1);
        using var ty = Poisoned(backend, rows, cols);
        backend.Embedding(tt, ti, ty);
        var expected = ids.SelectMany(id => table.AsSpan(id * cols, cols).ToArray()).ToArray();
        Assert.Equal(expected, Download(backend, ty));
    }

    public static void GatherRows(IComputeBackend backend, int sourceRows, int cols, int rows, int seed)
    {
        var random = new Random(seed);
        var source = Bf16Random(random, sourceRows * cols);
        var indices = Enumerable.Range(0, rows).Select(_ => random.Next(sourceRows)).ToArray();
        using var ts = Upload(backend, source, sourceRows, cols);
        using var ti = Upload(backend, indices, rows, 1);
        using var ty = Poisoned(backend, rows, cols, DType.F32);
        backend.GatherRows(ts, ti, ty);
        var expected = indices.SelectMany(i => source.AsSpan(i * cols, cols).ToArray()).ToArray();
        Assert.Equal(expected, Download(backend, ty));
    }

    public static void WriteKv(IComputeBackend backend, int rows, int cols, int poolSlots, int seed)
    {
        var random = new Random(seed);
        var keys = Bf16Random(random, rows * cols);
        var values = Bf16Random(random, rows * cols);
        var pool = Enumerable.Range(0, poolSlots).ToArray();
        random.Shuffle(pool);
        var slots = pool.Take(rows).ToArray();
        slots[0] = -1;
        var before = Bf16Random(random, poolSlots * cols);
        using var tk = Upload(backend, keys, rows, cols);
        using var tv = Upload(backend, values, rows, cols);
        using var kc = Upload(backend, before, poolSlots, cols);
        using var vc = Upload(backend, before, poolSlots, cols);
        using var ts = Upload(backend, slots, rows, 1);
        backend.WriteKv(tk, tv, kc, vc, ts);
        var expectedKeys = (float[])before.Clone();
        var expectedValues = (float[])before.Clone();
        for (int r = 1; r < rows; r++)
        {
            Array.Copy(keys, r * cols, expectedKeys, slots[r] * cols, cols);
            Array.Copy(values, r * cols, expectedValues, slots[r] * cols, cols);
        }

        Assert.Equal(expectedKeys, Download(backend, kc));
        Assert.Equal(expectedValues, Download(backend, vc));
    }

    public static void Argmax(IComputeBackend backend, int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var logits = Bf16Random(random, rows * cols, 10f);
        var expected = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            // Plant a tie for the maximum at two positions: the lower index must win.
            int first = random.Next(cols);
            int second = random.Next(cols);
            logits[r * cols + first] = 20f;
            logits[r * cols + second] = 20f;
            expected[r] = Math.Min(first, second);
        }

        using var tl = Upload(backend, logits, rows, cols, DType.F32);
        using var ti = Upload(backend, Enumerable.Repeat(-7, rows).ToArray(), rows, 1);
        backend.Argmax(tl, ti);
        var ids = new int[rows];
        backend.Download(ti, ids);
        Assert.Equal(expected, ids);
    }

    /// <summary>Paged attention of the rows in <paramref name="layout"/> against the float64 reference, output and LSE.</summary>
    public static void Attention(IComputeBackend backend, PagedLayout layout, AttentionShape shape, int seed)
    {
        var random = new Random(seed);
        int rows = layout.QuerySequence.Length;
        int slots = layout.TotalBlocks * shape.BlockSize;
        var q = Bf16Random(random, rows * shape.QueryWidth, 3f);
        var keys = Bf16Random(random, slots * shape.KvWidth);
        var values = Bf16Random(random, slots * shape.KvWidth);
        using var tq = Upload(backend, q, rows, shape.QueryWidth);
        using var kc = Upload(backend, keys, slots, shape.KvWidth, backend.CacheType);
        using var vc = Upload(backend, values, slots, shape.KvWidth, backend.CacheType);
        using var sequences = Upload(backend, layout.QuerySequence, rows, 1);
        using var positions = Upload(backend, layout.QueryPosition, rows, 1);
        using var tables = Upload(backend, layout.BlockTables, layout.Sequences, layout.MaxBlocks);
        using var output = Poisoned(backend, rows, shape.QueryWidth);
        using var lse = Poisoned(backend, rows, shape.NumHeads, DType.F32);
        var batch = new AttentionBatch(sequences, positions, tables, layout.MaxContext);
        backend.PagedAttention(tq, kc, vc, batch, shape, output, lse);
        var (expectedOutput, expectedLse) = ReferenceMath.Attention(q, keys, values, layout, shape);
        string what = $"attention rows={rows} heads={shape.NumHeads}/{shape.NumKvHeads} dim={shape.HeadDim} window={shape.SlidingWindow} maxContext={layout.MaxContext}";
        AssertClose(Download(backend, output), expectedOutput, Tolerance(backend), what + " output");
        AssertClose(Download(backend, lse), expectedLse, 1e-4, what + " lse");
    }

    public static byte[] AsBytes(float[] values) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Raw bf16 bytes (upper halves of the fp32 values, which are already bf16-exact).</summary>
    public static byte[] Bf16Bytes(float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16));
        return bytes;
    }
}
