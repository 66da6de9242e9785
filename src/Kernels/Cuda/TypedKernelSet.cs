using ILGPU;
using ILGPU.Runtime;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// The kernels of one storage type, compiled on first use. The backend checks shapes and converts mismatched
/// operands before it calls in, so every float operand here has the set's storage type (index tensors are I32,
/// inverse frequencies and LSE are F32).
/// </summary>
internal abstract class TypedKernelSet
{
    public abstract void Add(AcceleratorStream stream, CudaTensor accumulator, CudaTensor x);

    public abstract void AddBias(AcceleratorStream stream, CudaTensor y, CudaTensor bias);

    public abstract void SiluMul(AcceleratorStream stream, CudaTensor gate, CudaTensor up, CudaTensor output);

    public abstract void RmsNorm(AcceleratorStream stream, CudaTensor x, CudaTensor weight, float eps, CudaTensor output);

    public abstract void AddRmsNorm(AcceleratorStream stream, CudaTensor accumulator, CudaTensor x, CudaTensor weight, float eps, CudaTensor output);

    public abstract void HeadRmsNorm(AcceleratorStream stream, CudaTensor qkv, CudaTensor queryWeight, CudaTensor keyWeight, int headDim, int queryHeads, int kvHeads, float eps);

    public abstract void Rope(AcceleratorStream stream, CudaTensor x, int headDim, CudaTensor positions, CudaTensor invFreq, float scaling);

    public abstract void WriteKv(AcceleratorStream stream, CudaTensor keys, CudaTensor values, CudaTensor keyCache, CudaTensor valueCache, CudaTensor slots);

    public abstract void RopeWriteQkv(AcceleratorStream stream, CudaTensor qkv, int headDim, CudaTensor positions, CudaTensor invFreq, float scaling, CudaTensor queries, CudaTensor keyCache, CudaTensor valueCache, CudaTensor slots);

    public abstract void SwiGlu(AcceleratorStream stream, CudaTensor gateUp, CudaTensor output);

    public abstract void ScatterScaledRows(AcceleratorStream stream, CudaTensor source, CudaTensor indices, CudaTensor scales, CudaTensor destination, bool accumulate);

    public abstract void GeluTanhGlu(AcceleratorStream stream, CudaTensor gateUp, CudaTensor output);

    public abstract void Scale(AcceleratorStream stream, CudaTensor x, float factor);

    public abstract void SoftCap(AcceleratorStream stream, CudaTensor x, float cap);

    public abstract void Argmax(AcceleratorStream stream, CudaTensor logits, CudaTensor ids, ArrayView<float> partialValues, ArrayView<int> partialIndices, int chunkCols);

    public abstract void NaiveMatMul(AcceleratorStream stream, CudaTensor x, CudaTensor weight, CudaTensor y);

    public abstract void DecodeAttention(AcceleratorStream stream, KernelConfig config, CudaTensor queries, CudaTensor keyCache, CudaTensor valueCache, AttentionBatch batch, CudaTensor output, CudaTensor lse, ArrayView<float> partialOut, ArrayView<float> partialLse, ArrayView<int> rowMap, AttentionParams p);

    public abstract void MergeAttention(AcceleratorStream stream, ArrayView<float> partialOut, ArrayView<float> partialLse, CudaTensor output, CudaTensor lse, ArrayView<int> rowMap, int mappedRows, int useRowMap, int headDim, int numSplits);

    public abstract void PrefillAttention(AcceleratorStream stream, KernelConfig config, CudaTensor queries, CudaTensor keyCache, CudaTensor valueCache, AttentionBatch batch, CudaTensor output, CudaTensor lse, AttentionParams p);

    public abstract void AttentionSoftmax(AcceleratorStream stream, ArrayView<float> scores, CudaTensor probabilities, CudaTensor lse, int keys, int rows, int lseRowStart, int firstPosition, int keyBase, int window);

    public abstract void BlockAttention(AcceleratorStream stream, KernelConfig config, CudaTensor queries, CudaTensor queryPositions, CudaTensor keys, CudaTensor values, CudaTensor keyPositions, CudaTensor output, CudaTensor lse, BlockAttentionParams p);

    public abstract void BlockSoftmax(AcceleratorStream stream, CudaTensor scores, CudaTensor probabilities, CudaTensor lse, CudaTensor queryPositions, CudaTensor keyPositions, int rows, int rowStart, int keyStart, int window);

    public abstract void MergeInPlace(AcceleratorStream stream, CudaTensor outputA, CudaTensor lseA, CudaTensor outputB, CudaTensor lseB);

    /// <summary>cuBLAS's strided-batched GEMM on devices without cuBLAS (simulated); <paramref name="c"/> is F32 or the set's type.</summary>
    public abstract void NaiveGemm(AcceleratorStream stream, CudaTensor a, CudaTensor b, CudaTensor c, GemmParams g);

    /// <summary>Grid for a grid-stride kernel over <paramref name="count"/> elements.</summary>
    protected static KernelConfig Elementwise(long count)
    {
        const int groupSize = 256;
        long groups = Math.Clamp((count + groupSize - 1) / groupSize, 1, 8192);
        return new KernelConfig((int)groups, groupSize);
    }

    /// <summary>One block per row, threads scaled to the row length.</summary>
    protected static KernelConfig PerRow(int rows, int cols)
    {
        int threads = cols >= 4096 ? 1024 : cols >= 1024 ? 512 : cols >= 256 ? 256 : 128;
        return new KernelConfig(rows, threads);
    }
}

/// <summary>The kernels instantiated for storage <typeparamref name="T"/> read through codec <typeparamref name="C"/>.</summary>
internal sealed class TypedKernelSet<T, C>(Accelerator accelerator) : TypedKernelSet
    where T : unmanaged
    where C : struct, IElementCodec<T>
{
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, int>? add;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, int, int>? addBias;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, int>? siluMul;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, float>? rmsNorm;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, float>? addRmsNorm;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int, int, float>? headRmsNorm;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<float>, int, int, int, int, float>? rope;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int>? writeKv;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<float>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int, int, int, int, float>? ropeWriteQkv;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, int, int>? swiGlu;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<float>, ArrayView<T>, int, int, int>? scatterScaledRows;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, int, int>? geluTanhGlu;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, int, float>? scale;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, int, float>? softCap;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<float>, ArrayView<int>, int, int, int>? argmax;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<int>, int>? argmaxFinal;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int>? naiveMatMul;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, AttentionParams>? decode;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<T>, ArrayView<float>, ArrayView<int>, int, int, int, int>? merge;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<float>, AttentionParams>? prefill;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<T>, ArrayView<float>, int, int, int, int, int, int, int>? softmax;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<float>, BlockAttentionParams>? blockAttention;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<T>, ArrayView<float>, ArrayView<int>, ArrayView<int>, int, int, int, int, int, int>? blockSoftmax;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<float>, ArrayView<T>, ArrayView<float>, int, int>? mergeInPlace;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<float>, GemmParams>? gemmToFloat;
    private Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, GemmParams>? gemm;

    public override void Add(AcceleratorStream stream, CudaTensor accumulator, CudaTensor x)
    {
        add ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, int>(ElementwiseKernels.Add<T, C>);
        int count = checked((int)accumulator.ElementCount);
        add(stream, Elementwise(count), Data(accumulator), Data(x), count);
    }

    public override void AddBias(AcceleratorStream stream, CudaTensor y, CudaTensor bias)
    {
        addBias ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, int, int>(ElementwiseKernels.AddBias<T, C>);
        int count = checked((int)y.ElementCount);
        addBias(stream, Elementwise(count), Data(y), Data(bias), count, y.Cols);
    }

    public override void SiluMul(AcceleratorStream stream, CudaTensor gate, CudaTensor up, CudaTensor output)
    {
        siluMul ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int>(ElementwiseKernels.SiluMul<T, C>);
        int count = checked((int)output.ElementCount);
        siluMul(stream, Elementwise(count), Data(gate), Data(up), Data(output), count);
    }

    public override void RmsNorm(AcceleratorStream stream, CudaTensor x, CudaTensor weight, float eps, CudaTensor output)
    {
        rmsNorm ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int, float>(RmsNormKernel.Run<T, C>);
        rmsNorm(stream, PerRow(x.Rows, x.Cols), Data(x), Data(weight), Data(output), x.Cols, eps);
    }

    public override void AddRmsNorm(AcceleratorStream stream, CudaTensor accumulator, CudaTensor x, CudaTensor weight, float eps, CudaTensor output)
    {
        addRmsNorm ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, float>(RmsNormKernel.AddThenNorm<T, C>);
        addRmsNorm(stream, PerRow(accumulator.Rows, accumulator.Cols), Data(accumulator), Data(x), Data(weight), Data(output), accumulator.Cols, eps);
    }

    public override void HeadRmsNorm(AcceleratorStream stream, CudaTensor qkv, CudaTensor queryWeight, CudaTensor keyWeight, int headDim, int queryHeads, int kvHeads, float eps)
    {
        headRmsNorm ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int, int, float>(HeadRmsNormKernel.Run<T, C>);
        int normHeads = queryHeads + kvHeads;
        headRmsNorm(stream, new KernelConfig(qkv.Rows * normHeads, headDim >= 256 ? 256 : headDim >= 128 ? 128 : 64), Data(qkv), Data(queryWeight), Data(keyWeight), headDim, queryHeads, normHeads, qkv.Cols, eps);
    }

    public override void Rope(AcceleratorStream stream, CudaTensor x, int headDim, CudaTensor positions, CudaTensor invFreq, float scaling)
    {
        rope ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<int>, ArrayView<float>, int, int, int, int, float>(RopeKernel.Run<T, C>);
        int rotaryHalf = (int)invFreq.ElementCount;
        long pairs = (long)x.Rows * (x.Cols / headDim) * rotaryHalf;
        rope(stream, Elementwise(pairs), Data(x), positions.Ints, invFreq.Floats, x.Rows, x.Cols, headDim, rotaryHalf, scaling);
    }

    public override void WriteKv(AcceleratorStream stream, CudaTensor keys, CudaTensor values, CudaTensor keyCache, CudaTensor valueCache, CudaTensor slots)
    {
        writeKv ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int>(ElementwiseKernels.WriteKv<T, C>);
        writeKv(stream, Elementwise(keys.ElementCount), Data(keys), Data(values), Data(keyCache), Data(valueCache), slots.Ints, keys.Rows, keys.Cols);
    }

    public override void RopeWriteQkv(AcceleratorStream stream, CudaTensor qkv, int headDim, CudaTensor positions, CudaTensor invFreq, float scaling, CudaTensor queries, CudaTensor keyCache, CudaTensor valueCache, CudaTensor slots)
    {
        ropeWriteQkv ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<int>, ArrayView<float>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int, int, int, int, float>(RopeKernel.RunPacked<T, C>);
        int heads = queries.Cols / headDim;
        int kvHeads = keyCache.Cols / headDim;
        long pairs = (long)qkv.Rows * (heads + 2 * kvHeads) * (headDim / 2);
        ropeWriteQkv(stream, Elementwise(pairs), Data(qkv), positions.Ints, invFreq.Floats, Data(queries), Data(keyCache), Data(valueCache), slots.Ints, qkv.Rows, heads, kvHeads, headDim, (int)invFreq.ElementCount, scaling);
    }

    public override void SwiGlu(AcceleratorStream stream, CudaTensor gateUp, CudaTensor output)
    {
        swiGlu ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, int, int>(ElementwiseKernels.SwiGlu<T, C>);
        swiGlu(stream, Elementwise(output.ElementCount), Data(gateUp), Data(output), output.Rows, output.Cols);
    }

    public override void ScatterScaledRows(AcceleratorStream stream, CudaTensor source, CudaTensor indices, CudaTensor scales, CudaTensor destination, bool accumulate)
    {
        scatterScaledRows ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<int>, ArrayView<float>, ArrayView<T>, int, int, int>(ElementwiseKernels.ScatterScaledRows<T, C>);
        scatterScaledRows(stream, Elementwise(source.ElementCount), Data(source), indices.Ints, scales.Floats, Data(destination), source.Rows, source.Cols, accumulate ? 1 : 0);
    }

    public override void GeluTanhGlu(AcceleratorStream stream, CudaTensor gateUp, CudaTensor output)
    {
        geluTanhGlu ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, int, int>(GemmaElementwiseKernels.GeluTanhGlu<T, C>);
        geluTanhGlu(stream, Elementwise(output.ElementCount), Data(gateUp), Data(output), output.Rows, output.Cols);
    }

    public override void Scale(AcceleratorStream stream, CudaTensor x, float factor)
    {
        scale ??= accelerator.LoadKernel<ArrayView<T>, int, float>(GemmaElementwiseKernels.Scale<T, C>);
        scale(stream, Elementwise(x.ElementCount), Data(x), checked((int)x.ElementCount), factor);
    }

    public override void SoftCap(AcceleratorStream stream, CudaTensor x, float cap)
    {
        softCap ??= accelerator.LoadKernel<ArrayView<T>, int, float>(GemmaElementwiseKernels.SoftCap<T, C>);
        softCap(stream, Elementwise(x.ElementCount), Data(x), checked((int)x.ElementCount), cap);
    }

    public override void Argmax(AcceleratorStream stream, CudaTensor logits, CudaTensor ids, ArrayView<float> partialValues, ArrayView<int> partialIndices, int chunkCols)
    {
        argmax ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<float>, ArrayView<int>, int, int, int>(ArgmaxKernel.Partial<T, C>);
        argmaxFinal ??= accelerator.LoadKernel<ArrayView<float>, ArrayView<int>, ArrayView<int>, int>(ArgmaxKernel.Final);
        int chunks = (logits.Cols + chunkCols - 1) / chunkCols;
        argmax(stream, new KernelConfig(logits.Rows * chunks, 256), Data(logits), partialValues, partialIndices, logits.Cols, chunkCols, chunks);
        argmaxFinal(stream, new KernelConfig(logits.Rows, 32), partialValues, partialIndices, ids.Ints, chunks);
    }

    public override void NaiveMatMul(AcceleratorStream stream, CudaTensor x, CudaTensor weight, CudaTensor y)
    {
        naiveMatMul ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int>(ElementwiseKernels.NaiveMatMul<T, C>);
        naiveMatMul(stream, Elementwise(y.ElementCount), Data(x), Data(weight), Data(y), x.Rows, x.Cols, weight.Rows);
    }

    public override void DecodeAttention(AcceleratorStream stream, KernelConfig config, CudaTensor queries, CudaTensor keyCache, CudaTensor valueCache, AttentionBatch batch, CudaTensor output, CudaTensor lse, ArrayView<float> partialOut, ArrayView<float> partialLse, ArrayView<int> rowMap, AttentionParams p)
    {
        decode ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, AttentionParams>(DecodeAttentionKernel.Run<T, C>);
        decode(stream, config, Data(queries), Data(keyCache), Data(valueCache), Ints(batch.QuerySequence), Ints(batch.QueryPosition), Ints(batch.BlockTables), Data(output), lse.Floats, partialOut, partialLse, rowMap, p);
    }

    public override void MergeAttention(AcceleratorStream stream, ArrayView<float> partialOut, ArrayView<float> partialLse, CudaTensor output, CudaTensor lse, ArrayView<int> rowMap, int mappedRows, int useRowMap, int headDim, int numSplits)
    {
        merge ??= accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<T>, ArrayView<float>, ArrayView<int>, int, int, int, int>(DecodeAttentionKernel.Merge<T, C>);
        merge(stream, new KernelConfig(mappedRows * lse.Cols, Math.Min(headDim, 256)), partialOut, partialLse, Data(output), lse.Floats, rowMap, useRowMap, lse.Cols, headDim, numSplits);
    }

    public override void PrefillAttention(AcceleratorStream stream, KernelConfig config, CudaTensor queries, CudaTensor keyCache, CudaTensor valueCache, AttentionBatch batch, CudaTensor output, CudaTensor lse, AttentionParams p)
    {
        prefill ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<float>, AttentionParams>(PrefillAttentionKernel.Run<T, C>);
        prefill(stream, config, Data(queries), Data(keyCache), Data(valueCache), Ints(batch.QuerySequence), Ints(batch.QueryPosition), Ints(batch.BlockTables), Data(output), lse.Floats, p);
    }

    public override void AttentionSoftmax(AcceleratorStream stream, ArrayView<float> scores, CudaTensor probabilities, CudaTensor lse, int keys, int rows, int lseRowStart, int firstPosition, int keyBase, int window)
    {
        softmax ??= accelerator.LoadKernel<ArrayView<float>, ArrayView<T>, ArrayView<float>, int, int, int, int, int, int, int>(AttentionSoftmaxKernel.Run<T, C>);
        softmax(stream, new KernelConfig(probabilities.Rows, keys >= 2048 ? 512 : 256), scores, Data(probabilities), lse.Floats, keys, rows, lse.Cols, lseRowStart, firstPosition, keyBase, window);
    }

    public override void BlockAttention(AcceleratorStream stream, KernelConfig config, CudaTensor queries, CudaTensor queryPositions, CudaTensor keys, CudaTensor values, CudaTensor keyPositions, CudaTensor output, CudaTensor lse, BlockAttentionParams p)
    {
        blockAttention ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<float>, BlockAttentionParams>(BlockAttentionKernel.Run<T, C>);
        blockAttention(stream, config, Data(queries), queryPositions.Ints, Data(keys), Data(values), keyPositions.Ints, Data(output), lse.Floats, p);
    }

    public override void BlockSoftmax(AcceleratorStream stream, CudaTensor scores, CudaTensor probabilities, CudaTensor lse, CudaTensor queryPositions, CudaTensor keyPositions, int rows, int rowStart, int keyStart, int window)
    {
        blockSoftmax ??= accelerator.LoadKernel<ArrayView<float>, ArrayView<T>, ArrayView<float>, ArrayView<int>, ArrayView<int>, int, int, int, int, int, int>(BlockSoftmaxKernel.Run<T, C>);
        int keys = probabilities.Cols;
        int threads = keys >= 2048 ? 512 : keys >= 256 ? 256 : 64;
        blockSoftmax(stream, new KernelConfig(probabilities.Rows, threads), scores.Floats, Data(probabilities), lse.Floats, queryPositions.Ints, keyPositions.Ints, keys, rows, lse.Cols, rowStart, keyStart, window);
    }

    public override void MergeInPlace(AcceleratorStream stream, CudaTensor outputA, CudaTensor lseA, CudaTensor outputB, CudaTensor lseB)
    {
        mergeInPlace ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<float>, ArrayView<T>, ArrayView<float>, int, int>(AttentionMergeKernel.Run<T, C>);
        int heads = lseA.Cols;
        int threads = Math.Clamp((outputA.Cols + 31) / 32 * 32, 32, 256);
        mergeInPlace(stream, new KernelConfig(outputA.Rows, threads), Data(outputA), lseA.Floats, Data(outputB), lseB.Floats, heads, outputA.Cols / heads);
    }

    public override void NaiveGemm(AcceleratorStream stream, CudaTensor a, CudaTensor b, CudaTensor c, GemmParams g)
    {
        // Small groups: this only runs on the simulated device, where each thread of a group is emulated.
        var config = new KernelConfig((int)Math.Clamp(((long)g.Batch * g.M * g.N + 31) / 32, 1, 4096), 32);
        if (c.DType == DType.F32 && typeof(T) != typeof(float))
        {
            gemmToFloat ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<float>, GemmParams>(NaiveGemmKernel.Run<T, C, float, F32Codec>);
            gemmToFloat(stream, config, Data(a), Data(b), c.Floats, g);
        }
        else
        {
            gemm ??= accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, GemmParams>(NaiveGemmKernel.Run<T, C, T, C>);
            gemm(stream, config, Data(a), Data(b), Data(c), g);
        }
    }

    private static ArrayView<T> Data(CudaTensor tensor) => tensor.Bytes.Cast<T>();

    private static ArrayView<int> Ints(DeviceTensor tensor) => ((CudaTensor)tensor).Ints;
}
