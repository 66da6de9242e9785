using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Causal attention over the paged KV cache, one work item per (query row, query head). Keys are visited in blocks
/// of <see cref="KeyBlock"/> positions counted from the row's first visible position, with the online softmax of
/// Milakov &amp; Gimelshein (https://arxiv.org/abs/1805.02867): per block, the running max and sum are rescaled and
/// exp(score − max)·V accumulated. The blocks depend only on the row's position and window, so a row's bits do not
/// depend on the batch. Scratch (one score block and one head accumulator per worker) is sized once.
/// </summary>
internal sealed class CpuAttention : ICpuWork
{
    private const int KeyBlock = 128;

    private readonly CpuWorkerPool _pool;
    private readonly float[][] _scores;
    private readonly float[][] _accumulators;
    private CpuTensor? _queries, _keys, _values, _output, _lse, _sequences, _positions, _blockTables;
    private AttentionShape? _shape;
    private int _groupSize;

    public CpuAttention(CpuWorkerPool pool)
    {
        _pool = pool;
        _scores = new float[pool.WorkerCount][];
        _accumulators = new float[pool.WorkerCount][];
        for (int i = 0; i < pool.WorkerCount; i++)
        {
            _scores[i] = new float[KeyBlock];
            _accumulators[i] = [];
        }
    }

    public void Run(
        CpuTensor queries, CpuTensor keyCache, CpuTensor valueCache, CpuTensor sequences, CpuTensor positions, CpuTensor blockTables, AttentionShape shape, CpuTensor output, CpuTensor lse)
    {
        for (int i = 0; i < _accumulators.Length; i++)
        {
            if (_accumulators[i].Length < shape.HeadDim)
            {
                _accumulators[i] = new float[shape.HeadDim];
            }
        }

        _queries = queries;
        _keys = keyCache;
        _values = valueCache;
        _sequences = sequences;
        _positions = positions;
        _blockTables = blockTables;
        _shape = shape;
        _output = output;
        _lse = lse;
        _groupSize = shape.NumHeads / shape.NumKvHeads;
        try
        {
            _pool.Run(this, queries.Rows * shape.NumHeads);
        }
        finally
        {
            _queries = _keys = _values = _sequences = _positions = _blockTables = _output = _lse = null;
            _shape = null;
        }
    }

    public void Execute(int worker, int item)
    {
        AttentionShape shape = _shape!;
        int headDim = shape.HeadDim;
        int row = item / shape.NumHeads;
        int head = item % shape.NumHeads;
        int kvColumn = (head / _groupSize) * headDim;
        int kvWidth = _keys!.Cols;
        int blockSize = shape.BlockSize;
        int position = _positions!.IntRow(row)[0];
        ReadOnlySpan<int> blockTable = _blockTables!.IntRow(_sequences!.IntRow(row)[0]);
        int first = shape.SlidingWindow > 0 ? Math.Max(0, position - shape.SlidingWindow + 1) : 0;

        ref float query = ref _queries!.FloatArray[_queries.Offset + (row * _queries.Cols) + (head * headDim)];
        ref float keys = ref MemoryMarshal.GetArrayDataReference(_keys.FloatArray);
        float[] values = _values!.FloatArray;
        int keyBase = _keys.Offset + kvColumn;
        int valueBase = _values.Offset + kvColumn;
        Span<float> scores = _scores[worker];
        Span<float> accumulator = _accumulators[worker].AsSpan(0, headDim);
        accumulator.Clear();
        float runningMax = float.NegativeInfinity;
        float runningSum = 0f;

        for (int start = first; start <= position; start += KeyBlock)
        {
            int count = Math.Min(KeyBlock, position + 1 - start);
            Span<float> block = scores[..count];

            int logicalBlock = start / blockSize;
            int offset = start - (logicalBlock * blockSize);
            int slotBase = blockTable[logicalBlock] * blockSize;
            for (int j = 0; j < count; j++)
            {
                int slot = slotBase + offset;
                block[j] = CpuDot.Dot(ref query, ref Unsafe.Add(ref keys, keyBase + (slot * kvWidth)), headDim) * shape.Scale;
                if (++offset == blockSize && j + 1 < count)
                {
                    offset = 0;
                    slotBase = blockTable[++logicalBlock] * blockSize;
                }
            }

            float blockMax = TensorPrimitives.Max<float>(block);
            float newMax = MathF.Max(runningMax, blockMax);
            if (newMax > runningMax && runningSum > 0f)
            {
                float correction = MathF.Exp(runningMax - newMax);
                runningSum *= correction;
                TensorPrimitives.Multiply(accumulator, correction, accumulator);
            }

            runningMax = newMax;
            TensorPrimitives.Subtract(block, newMax, block);
            TensorPrimitives.Exp(block, block);
            runningSum += TensorPrimitives.Sum<float>(block);

            logicalBlock = start / blockSize;
            offset = start - (logicalBlock * blockSize);
            slotBase = blockTable[logicalBlock] * blockSize;
            for (int j = 0; j < count; j++)
            {
                int slot = slotBase + offset;
                TensorPrimitives.MultiplyAdd(values.AsSpan(valueBase + (slot * kvWidth), headDim), block[j], accumulator, accumulator);
                if (++offset == blockSize && j + 1 < count)
                {
                    offset = 0;
                    slotBase = blockTable[++logicalBlock] * blockSize;
                }
            }
        }

        TensorPrimitives.Divide(accumulator, runningSum, _output!.FloatArray.AsSpan(_output.Offset + (row * _output.Cols) + (head * headDim), headDim));
        _lse!.FloatArray[_lse.Offset + (row * _lse.Cols) + head] = runningMax + MathF.Log(runningSum);
    }
}
