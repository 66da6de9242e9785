namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    // Scratch slots: each temporary of one call has its own, so none overwrites another still to be read.
    private const int SlotInputA = 0;
    private const int SlotInputB = 1;
    private const int SlotOutput = 2;
    private const int SlotParameter = 3;
    private const int SlotPartialOut = 4;
    private const int SlotPartialLse = 5;
    private const int SlotFrequencies = 6;

    public void Embedding(DeviceTensor table, DeviceTensor ids, DeviceTensor output) => Gather(table, ids, output, nameof(table), nameof(ids));

    public void GatherRows(DeviceTensor source, DeviceTensor rowIndices, DeviceTensor output) => Gather(source, rowIndices, output, nameof(source), nameof(rowIndices));

    public void RmsNorm(DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output)
    {
        Enter();
        var input = Float(x, nameof(x));
        var scale = Float(weight, nameof(weight));
        var result = Float(output, nameof(output));
        if (scale.ElementCount != input.Cols)
            throw new ArgumentException($"RmsNorm weight {scale} must have {input.Cols} elements (the columns of x {input}).", nameof(weight));
        SameShape(input, result, nameof(output));
        if (input.ElementCount == 0)
            return;
        DType type = input.DType;
        var target = Target(result, type);
        Kernels(type).RmsNorm(stream, input, As(scale, type, SlotParameter), eps, target);
        Finish(target, result);
    }

    public void HeadRmsNorm(DeviceTensor qkv, DeviceTensor queryWeight, DeviceTensor keyWeight, int headDim, int queryHeads, int kvHeads, float eps)
    {
        Enter();
        var packed = Float(qkv, nameof(qkv));
        var qw = Float(queryWeight, nameof(queryWeight));
        var kw = Float(keyWeight, nameof(keyWeight));
        if (packed.Cols != (queryHeads + (2 * kvHeads)) * headDim)
            throw new ArgumentException($"HeadRmsNorm qkv {packed} must have (queryHeads {queryHeads} + 2·kvHeads {kvHeads})·headDim {headDim} columns.", nameof(qkv));
        if (qw.ElementCount != headDim || kw.ElementCount != headDim)
            throw new ArgumentException($"HeadRmsNorm weights {qw} and {kw} must hold headDim ({headDim}) elements each.", nameof(queryWeight));
        if (packed.ElementCount == 0)
            return;
        DType type = packed.DType;
        var kernels = Kernels(type);
        // Weights in another type than the activations are converted into scratch, one slot each (qkv is in place).
        var queryScale = As(qw, type, SlotInputA);
        var keyScale = As(kw, type, SlotInputB);
        kernels.HeadRmsNorm(stream, packed, queryScale, keyScale, headDim, queryHeads, kvHeads, eps);
    }

    public void Add(DeviceTensor accumulator, DeviceTensor x)
    {
        Enter();
        var sum = Float(accumulator, nameof(accumulator));
        var addend = Float(x, nameof(x));
        SameShape(sum, addend, nameof(x));
        if (sum.ElementCount == 0)
            return;
        if (sum.DType == DType.I32)
            throw new ArgumentException($"Add needs float tensors, got {sum}.", nameof(accumulator));
        Kernels(sum.DType).Add(stream, sum, As(addend, sum.DType, SlotInputA));
    }

    public void AddRmsNorm(DeviceTensor accumulator, DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output)
    {
        Enter();
        var sum = Float(accumulator, nameof(accumulator));
        var addend = Float(x, nameof(x));
        var scale = Float(weight, nameof(weight));
        var result = Float(output, nameof(output));
        SameShape(sum, addend, nameof(x));
        SameShape(sum, result, nameof(output));
        if (scale.ElementCount != sum.Cols)
            throw new ArgumentException($"AddRmsNorm weight {scale} must have {sum.Cols} elements (the columns of the accumulator {sum}).", nameof(weight));
        if (sum.ElementCount == 0)
            return;
        DType type = sum.DType;
        var target = Target(result, type);
        Kernels(type).AddRmsNorm(stream, sum, As(addend, type, SlotInputA), As(scale, type, SlotParameter), eps, target);
        Finish(target, result);
    }

    public void SiluMul(DeviceTensor gate, DeviceTensor up, DeviceTensor output)
    {
        Enter();
        var g = Float(gate, nameof(gate));
        var u = Float(up, nameof(up));
        var result = Float(output, nameof(output));
        SameShape(g, u, nameof(up));
        SameShape(g, result, nameof(output));
        if (g.ElementCount == 0)
            return;
        DType type = result.DType;
        Kernels(type).SiluMul(stream, As(g, type, SlotInputA), As(u, type, SlotInputB), result);
    }

    public void Rope(DeviceTensor x, int headDim, DeviceTensor positions, DeviceTensor invFreq, float attentionScaling)
    {
        Enter();
        var values = Float(x, nameof(x));
        var rows = Index(positions, nameof(positions));
        var frequencies = Float(invFreq, nameof(invFreq));
        if (headDim <= 0 || headDim % 2 != 0 || values.Cols % headDim != 0)
            throw new ArgumentException($"headDim {headDim} must be even and divide the columns of x {values}.", nameof(headDim));
        if (frequencies.ElementCount < 1 || frequencies.ElementCount > headDim / 2)
            throw new ArgumentException($"invFreq {frequencies} must hold 1 to headDim/2 = {headDim / 2} values (rotary dimension / 2).", nameof(invFreq));
        if (rows.ElementCount != values.Rows)
            throw new ArgumentException($"positions {rows} must hold one position per row of x {values}.", nameof(positions));
        if (values.ElementCount == 0)
            return;
        Kernels(values.DType).Rope(stream, values, headDim, rows, As(frequencies, DType.F32, SlotFrequencies), attentionScaling);
    }

    public void WriteKv(DeviceTensor keys, DeviceTensor values, DeviceTensor keyCache, DeviceTensor valueCache, DeviceTensor slots)
    {
        Enter();
        var k = Float(keys, nameof(keys));
        var v = Float(values, nameof(values));
        var kc = Float(keyCache, nameof(keyCache));
        var vc = Float(valueCache, nameof(valueCache));
        var s = Index(slots, nameof(slots));
        SameShape(k, v, nameof(values));
        if (kc.Cols != k.Cols || vc.Cols != k.Cols || kc.Rows != vc.Rows)
            throw new ArgumentException($"Cache pools {kc} and {vc} must both be [slots x {k.Cols}] to hold keys {k}.", nameof(keyCache));
        if (kc.DType != vc.DType)
            throw new ArgumentException($"Key cache {kc} and value cache {vc} must share one type.", nameof(valueCache));
        if (s.ElementCount != k.Rows)
            throw new ArgumentException($"slots {s} must hold one slot per key row ({k.Rows}).", nameof(slots));
        if (k.ElementCount == 0)
            return;
        DType type = kc.DType;
        Kernels(type).WriteKv(stream, As(k, type, SlotInputA), As(v, type, SlotInputB), kc, vc, s);
    }

    public void RopeWriteQkv(DeviceTensor qkv, int headDim, DeviceTensor positions, DeviceTensor invFreq, float attentionScaling, DeviceTensor queries, DeviceTensor keyCache, DeviceTensor valueCache, DeviceTensor slots)
    {
        Enter();
        var packed = Float(qkv, nameof(qkv));
        var q = Float(queries, nameof(queries));
        var kc = Float(keyCache, nameof(keyCache));
        var vc = Float(valueCache, nameof(valueCache));
        var rows = Index(positions, nameof(positions));
        var s = Index(slots, nameof(slots));
        var frequencies = Float(invFreq, nameof(invFreq));
        if (headDim <= 0 || headDim % 2 != 0 || q.Cols % headDim != 0 || kc.Cols % headDim != 0)
            throw new ArgumentException($"headDim {headDim} must be even and divide the columns of queries {q} and keyCache {kc}.", nameof(headDim));
        if (packed.Cols != q.Cols + 2 * kc.Cols || q.Rows != packed.Rows)
            throw new ArgumentException($"qkv {packed} must be [{q.Rows}x{q.Cols + 2 * kc.Cols}]: rows of q | k | v for queries {q} and keyCache {kc}.", nameof(qkv));
        if (vc.Rows != kc.Rows || vc.Cols != kc.Cols || vc.DType != kc.DType)
            throw new ArgumentException($"Cache pools {kc} and {vc} must have one shape and type.", nameof(valueCache));
        if (frequencies.ElementCount < 1 || frequencies.ElementCount > headDim / 2)
            throw new ArgumentException($"invFreq {frequencies} must hold 1 to headDim/2 = {headDim / 2} values (rotary dimension / 2).", nameof(invFreq));
        if (rows.ElementCount != packed.Rows || s.ElementCount != packed.Rows)
            throw new ArgumentException($"positions {rows} and slots {s} must hold one entry per row of qkv {packed}.", nameof(slots));
        if (packed.ElementCount == 0)
            return;
        DType type = kc.DType;
        var target = Target(q, type);
        Kernels(type).RopeWriteQkv(stream, As(packed, type, SlotInputA), headDim, rows, As(frequencies, DType.F32, SlotFrequencies), attentionScaling, target, kc, vc, s);
        Finish(target, q);
    }

    public void SwiGlu(DeviceTensor gateUp, DeviceTensor output)
    {
        Enter();
        var g = Float(gateUp, nameof(gateUp));
        var result = Float(output, nameof(output));
        if (g.Rows != result.Rows || g.Cols != 2 * result.Cols)
            throw new ArgumentException($"gateUp {g} must be [{result.Rows}x{2 * result.Cols}]: gate then up, each as wide as output {result}.", nameof(gateUp));
        if (result.ElementCount == 0)
            return;
        DType type = result.DType;
        Kernels(type).SwiGlu(stream, As(g, type, SlotInputA), result);
    }

    public void ScatterScaledRows(DeviceTensor source, DeviceTensor rowIndices, DeviceTensor scales, DeviceTensor destination, bool accumulate)
    {
        // Indices are not range-checked on the device (that would need a download); MixtureOfExperts builds them.
        Enter();
        var src = Float(source, nameof(source));
        var rows = Index(rowIndices, nameof(rowIndices));
        var w = Float(scales, nameof(scales));
        var acc = Float(destination, nameof(destination));
        if (rows.ElementCount != src.Rows || w.ElementCount != src.Rows || w.DType != DType.F32)
            throw new ArgumentException($"rowIndices {rows} and scales {w} (F32) must hold one entry per row of source {src}.", nameof(scales));
        if (acc.Cols != src.Cols || acc.DType != src.DType)
            throw new ArgumentException($"destination {acc} must have the type and width of source {src}.", nameof(destination));
        if (src.ElementCount == 0)
            return;
        Kernels(acc.DType).ScatterScaledRows(stream, src, rows, w, acc, accumulate);
    }

    public void Argmax(DeviceTensor logits, DeviceTensor ids)
    {
        Enter();
        var scores = Float(logits, nameof(logits));
        var result = Index(ids, nameof(ids));
        if (result.ElementCount != scores.Rows)
            throw new ArgumentException($"ids {result} must hold one id per row of logits {scores}.", nameof(ids));
        if (scores.Rows == 0)
            return;
        // Columns per block: enough blocks to fill the device for one row, few enough chunks per row for pass 2.
        int chunkCols = Math.Max(2048, (scores.Cols + 63) / 64);
        long partials = (long)scores.Rows * ((scores.Cols + chunkCols - 1) / chunkCols);
        var values = scratch.Floats(SlotPartialOut, partials);
        var indices = scratch.Get(SlotPartialLse, partials * sizeof(int)).View.BaseView.SubView(0, partials * sizeof(int)).Cast<int>();
        Kernels(scores.DType).Argmax(stream, scores, result, values, indices, chunkCols);
        result.Mirror?.Forget();
    }

    private void Gather(DeviceTensor source, DeviceTensor indices, DeviceTensor output, string sourceName, string indexName)
    {
        Enter();
        var table = Float(source, sourceName);
        var rows = Index(indices, indexName);
        var result = Float(output, nameof(output));
        if (rows.ElementCount != result.Rows || table.Cols != result.Cols)
            throw new ArgumentException($"Gathering {rows.ElementCount} rows of {table} into {result}: output must be [{rows.ElementCount}x{table.Cols}].", nameof(output));
        if (result.ElementCount == 0)
            return;
        Conversion(table.DType, result.DType).GatherRows(stream, table, rows, result);
    }

    /// <summary>The tensor a kernel computing in <paramref name="type"/> writes: the output itself, or scratch when types differ.</summary>
    private CudaTensor Target(CudaTensor output, DType type) =>
        output.DType == type ? output : Temporary(SlotOutput, output.Rows, output.Cols, type);

    /// <summary>Converts a scratch result into the real output (nothing to do when the kernel wrote the output directly).</summary>
    private void Finish(CudaTensor written, CudaTensor output)
    {
        if (!ReferenceEquals(written, output))
            Conversion(written.DType, output.DType).Convert(stream, written, output);
    }

    private CudaTensor Float(DeviceTensor tensor, string parameter)
    {
        var cuda = Own(tensor, parameter);
        if (cuda.DType == DType.I32)
            throw new ArgumentException($"{parameter} must be a float tensor (F32/F16/BF16), got {cuda}.", parameter);
        return cuda;
    }

    private CudaTensor Index(DeviceTensor tensor, string parameter)
    {
        var cuda = Own(tensor, parameter);
        if (cuda.DType != DType.I32)
            throw new ArgumentException($"{parameter} must be an I32 tensor, got {cuda}.", parameter);
        return cuda;
    }

    private static void SameShape(CudaTensor expected, CudaTensor actual, string parameter)
    {
        if (expected.Rows != actual.Rows || expected.Cols != actual.Cols)
            throw new ArgumentException($"{parameter} {actual} must have the shape of {expected}.", parameter);
    }
}
