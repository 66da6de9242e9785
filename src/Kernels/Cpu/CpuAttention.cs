using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Causal attention over the paged KV cache. A work item is one query row and a range of its heads: all of them
/// unless that leaves workers idle, so a key or value row is read once, front to back, for every head that needs it
/// (cache rows are [slot × kvHeads·headDim], so reading one head's slice of each row would touch a new page per key).
/// Keys are visited in blocks of <see cref="KeyBlock"/> positions counted from the row's first visible position,
/// with the online softmax of Milakov &amp; Gimelshein (https://arxiv.org/abs/1805.02867): per block the running max
/// and sum are rescaled and exp(score − max)·V accumulated. Every head's numbers come from the same operations in the
/// same order whichever item computes it, and the blocks depend only on the row's position and window, so a row's bits
/// do not depend on the batch or the thread count. Scratch is per worker and sized once.
/// </summary>
internal sealed class CpuAttention : ICpuWork
{
    private const int KeyBlock = 128;

    private readonly CpuWorkerPool _pool;
    private readonly float[][] _scores;
    private readonly float[][] _accumulators;
    private readonly float[][] _statistics;
    private CpuTensor? _queries, _keys, _values, _output, _lse, _sequences, _positions, _blockTables;
    private AttentionShape? _shape;
    private int _groupSize, _headsPerItem, _itemsPerRow;

    public CpuAttention(CpuWorkerPool pool)
    {
        _pool = pool;
        _scores = new float[pool.WorkerCount][];
        _accumulators = new float[pool.WorkerCount][];
        _statistics = new float[pool.WorkerCount][];
        Array.Fill(_scores, []);
        Array.Fill(_accumulators, []);
        Array.Fill(_statistics, []);
    }

    public void Run(
        CpuTensor queries, CpuTensor keyCache, CpuTensor valueCache, CpuTensor sequences, CpuTensor positions, CpuTensor blockTables, AttentionShape shape, CpuTensor output, CpuTensor lse)
    {
        _groupSize = shape.NumHeads / shape.NumKvHeads;
        _headsPerItem = shape.NumHeads;
        while (_headsPerItem % 2 == 0 && (long)queries.Rows * (shape.NumHeads / _headsPerItem) < 2L * _pool.WorkerCount)
        {
            _headsPerItem /= 2;
        }

        _itemsPerRow = shape.NumHeads / _headsPerItem;
        for (int i = 0; i < _pool.WorkerCount; i++)
        {
            Grow(ref _scores[i], _headsPerItem * KeyBlock);
            Grow(ref _accumulators[i], _headsPerItem * shape.HeadDim);
            Grow(ref _statistics[i], 2 * _headsPerItem);
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
        try
        {
            _pool.Run(this, queries.Rows * _itemsPerRow);
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
        int heads = _headsPerItem;
        int row = item / _itemsPerRow;
        int firstHead = (item % _itemsPerRow) * heads;
        int kvWidth = _keys!.Cols;
        int blockSize = shape.BlockSize;
        int position = _positions!.IntRow(row)[0];
        ReadOnlySpan<int> blockTable = _blockTables!.IntRow(_sequences!.IntRow(row)[0]);
        int first = shape.SlidingWindow > 0 ? Math.Max(0, position - shape.SlidingWindow + 1) : 0;

        int group = _groupSize;
        ref float query = ref _queries!.FloatArray[_queries.Offset + (row * _queries.Cols) + (firstHead * headDim)];
        int firstKvHead = firstHead / group;
        ref float keys = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_keys.FloatArray), _keys.Offset + (firstKvHead * headDim));
        ref float values = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values!.FloatArray), _values.Offset + (firstKvHead * headDim));
        float[] scores = _scores[worker];
        float[] accumulators = _accumulators[worker];
        Span<float> runningMax = _statistics[worker].AsSpan(0, heads);
        Span<float> runningSum = _statistics[worker].AsSpan(heads, heads);
        accumulators.AsSpan(0, heads * headDim).Clear();
        runningMax.Fill(float.NegativeInfinity);
        runningSum.Clear();
        Span<float> four = stackalloc float[4];

        for (int start = first; start <= position; start += KeyBlock)
        {
            int count = Math.Min(KeyBlock, position + 1 - start);
            var slots = new SlotWalker(blockTable, blockSize, start);
            for (int j = 0; j < count; j++)
            {
                ref float keyRow = ref Unsafe.Add(ref keys, slots.Next() * kvWidth);
                for (int h = 0; h < heads;)
                {
                    // The heads of this item that share one KV head: [h, runEnd).
                    int kvHead = (firstHead + h) / group;
                    int runEnd = Math.Min(heads, ((kvHead + 1) * group) - firstHead);
                    ref float key = ref Unsafe.Add(ref keyRow, (kvHead - firstKvHead) * headDim);
                    for (; h + 4 <= runEnd; h += 4)
                    {
                        CpuDot.Dot4x1(ref Unsafe.Add(ref query, h * headDim), headDim, ref key, headDim, ref four[0]);
                        for (int i = 0; i < 4; i++)
                        {
                            scores[((h + i) * KeyBlock) + j] = four[i] * shape.Scale;
                        }
                    }

                    for (; h < runEnd; h++)
                    {
                        scores[(h * KeyBlock) + j] = CpuDot.Dot(ref Unsafe.Add(ref query, h * headDim), ref key, headDim) * shape.Scale;
                    }
                }
            }

            for (int h = 0; h < heads; h++)
            {
                Span<float> block = scores.AsSpan(h * KeyBlock, count);
                if (shape.SoftCap > 0)
                {
                    SoftCap(block, shape.SoftCap);
                }

                float newMax = MathF.Max(runningMax[h], TensorPrimitives.Max<float>(block));
                if (newMax > runningMax[h] && runningSum[h] > 0f)
                {
                    float correction = MathF.Exp(runningMax[h] - newMax);
                    runningSum[h] *= correction;
                    Span<float> accumulator = accumulators.AsSpan(h * headDim, headDim);
                    TensorPrimitives.Multiply(accumulator, correction, accumulator);
                }

                runningMax[h] = newMax;
                TensorPrimitives.Subtract(block, newMax, block);
                TensorPrimitives.Exp(block, block);
                runningSum[h] += TensorPrimitives.Sum<float>(block);
            }

            slots = new SlotWalker(blockTable, blockSize, start);
            for (int j = 0; j < count; j++)
            {
                ref float valueRow = ref Unsafe.Add(ref values, slots.Next() * kvWidth);
                for (int h = 0; h < heads; h++)
                {
                    ref float value = ref Unsafe.Add(ref valueRow, (((firstHead + h) / group) - firstKvHead) * headDim);
                    CpuDot.AddScaled(ref accumulators[h * headDim], scores[(h * KeyBlock) + j], ref value, headDim);
                }
            }
        }

        for (int h = 0; h < heads; h++)
        {
            int head = firstHead + h;
            Span<float> destination = _output!.FloatArray.AsSpan(_output.Offset + (row * _output.Cols) + (head * headDim), headDim);
            TensorPrimitives.Divide(accumulators.AsSpan(h * headDim, headDim), runningSum[h], destination);
            _lse!.FloatArray[_lse.Offset + (row * _lse.Cols) + head] = runningMax[h] + MathF.Log(runningSum[h]);
        }
    }

    /// <summary>Gemma 2's attention logit soft cap on scaled scores: tanh(s / cap) · cap (divide, tanh, multiply, as transformers).</summary>
    internal static void SoftCap(Span<float> scores, float cap)
    {
        TensorPrimitives.Divide(scores, cap, scores);
        TensorPrimitives.Tanh(scores, scores);
        TensorPrimitives.Multiply(scores, cap, scores);
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }

    /// <summary>Walks the cache slots of consecutive positions through a block table without a division per key.</summary>
    private ref struct SlotWalker
    {
        private readonly ReadOnlySpan<int> _table;
        private readonly int _blockSize;
        private int _block;
        private int _offset;

        public SlotWalker(ReadOnlySpan<int> table, int blockSize, int position)
        {
            _table = table;
            _blockSize = blockSize;
            _block = position / blockSize;
            _offset = position - (_block * blockSize);
        }

        public int Next()
        {
            if (_offset == _blockSize)
            {
                _offset = 0;
                _block++;
            }

            return (_table[_block] * _blockSize) + _offset++;
        }
    }
}
