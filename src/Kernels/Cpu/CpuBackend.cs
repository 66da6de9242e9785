using InferMesh.Kernels.Numerics;
using static InferMesh.Kernels.Cpu.CpuArguments;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// The CPU implementation of <see cref="IComputeBackend"/>: fp32 storage and compute, SIMD through
/// System.Numerics.Tensors and hand-written fixed-order dot kernels, parallel over rows, heads and weight tiles on a
/// fixed pool of worker threads. Operations run synchronously on the calling thread (helped by the workers), one at a
/// time; every row's result is independent of the other rows in the call and of the thread count.
/// After the first call of each shape, operations allocate nothing.
/// </summary>
public sealed class CpuBackend : IComputeBackend
{
    private readonly CpuWorkerPool _pool;
    private readonly CpuMatMul _matMul;
    private readonly CpuRowOps _rowOps;
    private readonly CpuRope _rope;
    private readonly CpuAttention _attention;
    private readonly CpuBlockAttention _blockAttention;
    private readonly CpuAttentionMerge _attentionMerge;
    private readonly CpuWeightLoader _weightLoader;

    /// <param name="threads">Threads that compute (the calling thread included); default: one per logical processor.</param>
    public CpuBackend(int? threads = null)
    {
        int count = threads ?? Environment.ProcessorCount;
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "The CPU backend needs at least one thread.");
        }

        _pool = new CpuWorkerPool(count);
        _matMul = new CpuMatMul(_pool);
        _rowOps = new CpuRowOps(_pool);
        _rope = new CpuRope(_pool);
        _attention = new CpuAttention(_pool);
        _blockAttention = new CpuBlockAttention(_pool);
        _attentionMerge = new CpuAttentionMerge(_pool);
        _weightLoader = new CpuWeightLoader(_pool);
        DeviceName = $"cpu ({count} threads)";
    }

    public int Threads => _pool.WorkerCount;

    public string DeviceName { get; }

    public DType ActivationType => DType.F32;

    public DType CacheType => DType.F32;

    public bool SharesHostMemory => true;

    /// <summary>Host memory not in use by any process, as of the last garbage collection (honours container limits).</summary>
    public long FreeMemoryBytes
    {
        get
        {
            GCMemoryInfo info = GC.GetGCMemoryInfo();
            return Math.Max(0, info.TotalAvailableMemoryBytes - info.MemoryLoadBytes);
        }
    }

    public DeviceTensor Allocate(int rows, int cols, DType? dtype = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        return (dtype ?? DType.F32) switch
        {
            DType.F32 => new CpuTensor(NewFloats((long)rows * cols), 0, rows, cols),
            DType.I32 => new CpuTensor(new int[CheckedLength((long)rows * cols)], 0, rows, cols),
            DType other => throw new NotSupportedException(
                $"The CPU backend stores tensors as F32 or I32, not {other}; allocate with ActivationType/CacheType, or load {other} data with LoadWeight."),
        };
    }

    public DeviceTensor LoadWeight(ReadOnlySpan<byte> raw, DType sourceType, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        return _weightLoader.Load(raw, sourceType, rows, cols);
    }

    public void Upload(ReadOnlySpan<float> source, DeviceTensor destination)
    {
        CpuTensor d = F32(destination, nameof(destination));
        Length(source.Length, d, nameof(source));
        source.CopyTo(d.AsFloatSpan());
    }

    public void Upload(ReadOnlySpan<int> source, DeviceTensor destination)
    {
        CpuTensor d = I32(destination, nameof(destination));
        Length(source.Length, d, nameof(source));
        source.CopyTo(d.AsIntSpan());
    }

    public void Download(DeviceTensor source, Span<float> destination)
    {
        CpuTensor s = OnCpu(source, nameof(source));
        Length(destination.Length, s, nameof(destination));
        if (s.DType == DType.F32)
        {
            s.AsFloatSpan().CopyTo(destination);
            return;
        }

        ReadOnlySpan<int> ints = s.AsIntSpan();
        for (int i = 0; i < ints.Length; i++)
        {
            destination[i] = ints[i];
        }
    }

    public void Download(DeviceTensor source, Span<int> destination)
    {
        CpuTensor s = I32(source, nameof(source));
        Length(destination.Length, s, nameof(destination));
        s.AsIntSpan().CopyTo(destination);
    }

    public void Copy(DeviceTensor source, DeviceTensor destination)
    {
        CpuTensor s = OnCpu(source, nameof(source));
        CpuTensor d = OnCpu(destination, nameof(destination));
        SameShape(s, nameof(source), d, nameof(destination));
        if (s.DType != d.DType)
        {
            throw new ArgumentException($"Cannot copy {s} into {d}: the element types differ.", nameof(destination));
        }

        if (s.DType == DType.F32)
        {
            s.AsFloatSpan().CopyTo(d.AsFloatSpan());
        }
        else
        {
            s.AsIntSpan().CopyTo(d.AsIntSpan());
        }
    }

    public void Embedding(DeviceTensor table, DeviceTensor ids, DeviceTensor output)
    {
        CpuTensor t = F32(table, nameof(table));
        CpuTensor i = I32(ids, nameof(ids), cols: 1);
        CpuTensor o = F32(output, nameof(output), i.Rows, t.Cols);
        CpuIndexing.GatherRows(t, i, o, "token id", nameof(ids));
    }

    public void RmsNorm(DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output)
    {
        CpuTensor xs = F32(x, nameof(x));
        CpuTensor w = F32(weight, nameof(weight), 1, xs.Cols);
        CpuTensor o = F32(output, nameof(output), xs.Rows, xs.Cols);
        _rowOps.RmsNorm(xs, w, eps, o);
    }

    public void HeadRmsNorm(DeviceTensor qkv, DeviceTensor queryWeight, DeviceTensor keyWeight, int headDim, int queryHeads, int kvHeads, float eps)
    {
        CpuTensor packed = F32(qkv, nameof(qkv), cols: (queryHeads + (2 * kvHeads)) * headDim);
        Span<float> qw = F32(queryWeight, nameof(queryWeight), 1, headDim).FloatRow(0);
        Span<float> kw = F32(keyWeight, nameof(keyWeight), 1, headDim).FloatRow(0);
        for (int r = 0; r < packed.Rows; r++)
        {
            Span<float> row = packed.FloatRow(r);
            for (int h = 0; h < queryHeads + kvHeads; h++)
            {
                // HF's Qwen3RMSNorm is LlamaRMSNorm: the same row arithmetic as RmsNorm, over one head.
                Span<float> head = row.Slice(h * headDim, headDim);
                CpuRowOps.NormalizeRow(head, h < queryHeads ? qw : kw, eps, head);
            }
        }
    }

    public void Add(DeviceTensor accumulator, DeviceTensor x)
    {
        CpuTensor a = F32(accumulator, nameof(accumulator));
        CpuTensor xs = F32(x, nameof(x), a.Rows, a.Cols);
        _rowOps.Add(a, xs);
    }

    public void AddRmsNorm(DeviceTensor accumulator, DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output)
    {
        Add(accumulator, x);
        RmsNorm(accumulator, weight, eps, output);
    }

    public void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y)
    {
        CpuTensor xs = F32(x, nameof(x));
        CpuTensor w = F32(weight, nameof(weight), cols: xs.Cols);
        CpuTensor? b = bias is null ? null : F32(bias, nameof(bias), 1, w.Rows);
        CpuTensor ys = F32(y, nameof(y), xs.Rows, w.Rows);
        if (CpuIndexing.Overlap(ys, xs) || CpuIndexing.Overlap(ys, w))
        {
            throw new ArgumentException($"y ({ys}) shares storage with x or weight; MatMul cannot run in place.", nameof(y));
        }

        _matMul.Run(xs, w, b, ys);
    }

    public void SiluMul(DeviceTensor gate, DeviceTensor up, DeviceTensor output)
    {
        CpuTensor g = F32(gate, nameof(gate));
        CpuTensor u = F32(up, nameof(up), g.Rows, g.Cols);
        CpuTensor o = F32(output, nameof(output), g.Rows, g.Cols);
        _rowOps.SiluMul(g, u, o);
    }

    public void Rope(DeviceTensor x, int headDim, DeviceTensor positions, DeviceTensor invFreq, float attentionScaling)
    {
        CpuTensor xs = F32(x, nameof(x));
        if (headDim <= 0 || headDim % 2 != 0 || xs.Cols % headDim != 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(headDim), headDim, $"headDim must be even, positive and divide the row width of x ({xs}).");
        }

        CpuTensor p = I32(positions, nameof(positions), xs.Rows, 1);
        CpuTensor f = RotaryFrequencies(invFreq, headDim);
        _rope.Run(xs, headDim, p, f, attentionScaling);
    }

    /// <summary>invFreq [1 × r/2] for a rotary dimension r ≤ headDim (partial rotary rotates the first r of each head).</summary>
    private static CpuTensor RotaryFrequencies(DeviceTensor invFreq, int headDim)
    {
        CpuTensor f = F32(invFreq, nameof(invFreq), 1);
        if (f.Cols < 1 || f.Cols > headDim / 2)
        {
            throw new ArgumentException($"invFreq is {f} but must hold 1 to headDim/2 = {headDim / 2} frequencies (rotary dimension / 2).", nameof(invFreq));
        }

        return f;
    }

    public void WriteKv(DeviceTensor keys, DeviceTensor values, DeviceTensor keyCache, DeviceTensor valueCache, DeviceTensor slots)
    {
        CpuTensor k = F32(keys, nameof(keys));
        CpuTensor v = F32(values, nameof(values), k.Rows, k.Cols);
        CpuTensor kc = F32(keyCache, nameof(keyCache), cols: k.Cols);
        CpuTensor vc = F32(valueCache, nameof(valueCache), kc.Rows, k.Cols);
        CpuTensor s = I32(slots, nameof(slots), k.Rows, 1);
        CpuIndexing.ScatterRows(k, v, kc, vc, s);
    }

    public void RopeWriteQkv(DeviceTensor qkv, int headDim, DeviceTensor positions, DeviceTensor invFreq, float attentionScaling, DeviceTensor queries, DeviceTensor keyCache, DeviceTensor valueCache, DeviceTensor slots)
    {
        CpuTensor packed = F32(qkv, nameof(qkv));
        CpuTensor q = F32(queries, nameof(queries), packed.Rows);
        CpuTensor kc = F32(keyCache, nameof(keyCache));
        CpuTensor vc = F32(valueCache, nameof(valueCache), kc.Rows, kc.Cols);
        if (headDim <= 0 || headDim % 2 != 0 || q.Cols % headDim != 0 || kc.Cols % headDim != 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(headDim), headDim, $"headDim must be even, positive and divide the row widths of queries ({q}) and keyCache ({kc}).");
        }

        if (packed.Cols != q.Cols + (2 * kc.Cols))
        {
            throw new ArgumentException($"qkv is {packed} but its rows must hold q | k | v: {q.Cols} + 2·{kc.Cols} = {q.Cols + (2 * kc.Cols)} columns.", nameof(qkv));
        }

        CpuTensor p = I32(positions, nameof(positions), packed.Rows, 1);
        CpuTensor f = RotaryFrequencies(invFreq, headDim);
        CpuTensor s = I32(slots, nameof(slots), packed.Rows, 1);
        CpuIndexing.CheckSlots(s, kc.Rows);
        _rope.RunPacked(packed, headDim, p, f, attentionScaling, q, kc, vc, s);
    }

    public void SwiGlu(DeviceTensor gateUp, DeviceTensor output)
    {
        CpuTensor g = F32(gateUp, nameof(gateUp));
        CpuTensor o = F32(output, nameof(output), g.Rows);
        if (g.Cols != 2 * o.Cols)
        {
            throw new ArgumentException($"gateUp is {g} but must be [T x 2·{o.Cols}]: gate then up, each as wide as output ({o}).", nameof(gateUp));
        }

        _rowOps.SwiGlu(g, o);
    }

    public void GeluTanhGlu(DeviceTensor gateUp, DeviceTensor output)
    {
        CpuTensor g = F32(gateUp, nameof(gateUp));
        CpuTensor o = F32(output, nameof(output), g.Rows);
        if (g.Cols != 2 * o.Cols)
        {
            throw new ArgumentException($"gateUp is {g} but must be [T x 2·{o.Cols}]: gate then up, each as wide as output ({o}).", nameof(gateUp));
        }

        _rowOps.GeluTanhGlu(g, o);
    }

    public void Scale(DeviceTensor x, float factor) => _rowOps.Scale(F32(x, nameof(x)), factor);

    public void SoftCap(DeviceTensor x, float cap)
    {
        if (!(cap > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(cap), cap, "the soft cap must be positive.");
        }

        _rowOps.SoftCap(F32(x, nameof(x)), cap);
    }

    public void PagedAttention(
        DeviceTensor queries, DeviceTensor keyCache, DeviceTensor valueCache, AttentionBatch batch, AttentionShape shape, DeviceTensor output, DeviceTensor lse)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(shape);
        CpuIndexing.CheckShape(shape);
        CpuTensor q = F32(queries, nameof(queries), cols: shape.QueryWidth);
        CpuTensor kc = F32(keyCache, nameof(keyCache), cols: shape.KvWidth);
        CpuTensor vc = F32(valueCache, nameof(valueCache), kc.Rows, shape.KvWidth);
        CpuTensor seq = I32(batch.QuerySequence, "batch.QuerySequence", q.Rows, 1);
        CpuTensor pos = I32(batch.QueryPosition, "batch.QueryPosition", q.Rows, 1);
        CpuTensor tables = I32(batch.BlockTables, "batch.BlockTables");
        CpuTensor o = F32(output, nameof(output), q.Rows, shape.QueryWidth);
        CpuTensor l = F32(lse, nameof(lse), q.Rows, shape.NumHeads);
        CpuIndexing.CheckBatch(seq, pos, tables, batch.MaxContext, shape, kc.Rows);
        _attention.Run(q, kc, vc, seq, pos, tables, shape, o, l);
    }

    public void BlockAttention(
        DeviceTensor queries, DeviceTensor queryPositions, DeviceTensor keys, DeviceTensor values, DeviceTensor keyPositions, AttentionShape shape, DeviceTensor output, DeviceTensor lse)
    {
        ArgumentNullException.ThrowIfNull(shape);
        CpuIndexing.CheckShape(shape);
        CpuTensor q = F32(queries, nameof(queries), cols: shape.QueryWidth);
        CpuTensor qp = I32(queryPositions, nameof(queryPositions), q.Rows, 1);
        CpuTensor k = F32(keys, nameof(keys), cols: shape.KvWidth);
        CpuTensor v = F32(values, nameof(values), k.Rows, shape.KvWidth);
        CpuTensor kp = I32(keyPositions, nameof(keyPositions), k.Rows, 1);
        CpuTensor o = F32(output, nameof(output), q.Rows, shape.QueryWidth);
        CpuTensor l = F32(lse, nameof(lse), q.Rows, shape.NumHeads);
        _blockAttention.Run(q, qp, k, v, kp, shape, o, l);
    }

    public void MergeAttention(DeviceTensor outputA, DeviceTensor lseA, DeviceTensor outputB, DeviceTensor lseB)
    {
        CpuTensor oa = F32(outputA, nameof(outputA));
        CpuTensor la = F32(lseA, nameof(lseA), oa.Rows);
        CpuTensor ob = F32(outputB, nameof(outputB), oa.Rows, oa.Cols);
        CpuTensor lb = F32(lseB, nameof(lseB), oa.Rows, la.Cols);
        if (la.Cols == 0 || oa.Cols % la.Cols != 0)
        {
            throw new ArgumentException($"outputA ({oa}) must hold a whole number of heads per row for lseA ({la}): its width is heads·headDim.", nameof(lseA));
        }

        _attentionMerge.Run(oa, la, ob, lb);
    }

    public void GatherRows(DeviceTensor source, DeviceTensor rowIndices, DeviceTensor output)
    {
        CpuTensor s = OnCpu(source, nameof(source));
        CpuTensor i = I32(rowIndices, nameof(rowIndices), cols: 1);
        CpuTensor o = OnCpu(output, nameof(output));
        if (o.DType != s.DType || o.Rows != i.Rows || o.Cols != s.Cols)
        {
            throw new ArgumentException($"output is {o} but must be {s.DType}[{i.Rows}x{s.Cols}] (one row per index of {i}).", nameof(output));
        }

        CpuIndexing.GatherRows(s, i, o, "row index", nameof(rowIndices));
    }

    public void ScatterScaledRows(DeviceTensor source, DeviceTensor rowIndices, DeviceTensor scales, DeviceTensor destination, bool accumulate)
    {
        CpuTensor src = F32(source, nameof(source));
        CpuTensor i = I32(rowIndices, nameof(rowIndices), src.Rows, 1);
        CpuTensor w = F32(scales, nameof(scales), src.Rows, 1);
        CpuTensor dst = F32(destination, nameof(destination), cols: src.Cols);
        CpuIndexing.ScatterScaledRows(src, i, w, dst, accumulate);
    }

    public void Argmax(DeviceTensor logits, DeviceTensor ids)
    {
        CpuTensor l = F32(logits, nameof(logits));
        CpuTensor i = I32(ids, nameof(ids), l.Rows, 1);
        _rowOps.Argmax(l, i);
    }

    /// <summary>Nothing to wait for: CPU operations complete before they return.</summary>
    public void Synchronize()
    {
    }

    public void Dispose() => _pool.Dispose();

    internal static float[] NewFloats(long elements) => new float[CheckedLength(elements)];

    internal static int CheckedLength(long elements) =>
        elements <= Array.MaxLength
            ? (int)elements
            : throw new NotSupportedException($"A CPU tensor holds at most {Array.MaxLength} elements; {elements} were requested.");
}
