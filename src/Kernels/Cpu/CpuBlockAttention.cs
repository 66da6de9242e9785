using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Attention of query rows over an explicit block of key/value rows, masked by absolute positions (causal and
/// sliding window), for sequence-parallel prefill where a device attends to key blocks that came from other devices.
/// A work item is one query row and one head: the scores of all keys of the block are computed into per-worker
/// scratch, then softmax and V accumulate in one pass (blocks here are one ring member's partition, so the scratch is
/// sized once per block size). Masked keys score −∞ and contribute exactly 0.
/// </summary>
internal sealed class CpuBlockAttention : ICpuWork
{
    private readonly CpuWorkerPool _pool;
    private readonly float[][] _scores;
    private CpuTensor? _queries, _queryPositions, _keys, _values, _keyPositions, _output, _lse;
    private AttentionShape? _shape;

    public CpuBlockAttention(CpuWorkerPool pool)
    {
        _pool = pool;
        _scores = new float[pool.WorkerCount][];
        Array.Fill(_scores, []);
    }

    public void Run(CpuTensor queries, CpuTensor queryPositions, CpuTensor keys, CpuTensor values, CpuTensor keyPositions, AttentionShape shape, CpuTensor output, CpuTensor lse)
    {
        for (int i = 0; i < _pool.WorkerCount; i++)
        {
            if (_scores[i].Length < keys.Rows)
            {
                _scores[i] = new float[keys.Rows];
            }
        }

        (_queries, _queryPositions, _keys, _values, _keyPositions, _shape, _output, _lse) = (queries, queryPositions, keys, values, keyPositions, shape, output, lse);
        try
        {
            _pool.Run(this, queries.Rows * shape.NumHeads);
        }
        finally
        {
            _queries = _queryPositions = _keys = _values = _keyPositions = _output = _lse = null;
            _shape = null;
        }
    }

    public void Execute(int worker, int item)
    {
        AttentionShape shape = _shape!;
        int headDim = shape.HeadDim;
        int row = item / shape.NumHeads;
        int head = item % shape.NumHeads;
        int kvHead = head / (shape.NumHeads / shape.NumKvHeads);
        int position = _queryPositions!.IntRow(row)[0];
        int window = shape.SlidingWindow;
        CpuTensor keys = _keys!, values = _values!, keyPositions = _keyPositions!;
        ref float query = ref _queries!.FloatArray[_queries.Offset + (row * _queries.Cols) + (head * headDim)];
        ref float keyBase = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(keys.FloatArray), keys.Offset + (kvHead * headDim));
        ref float valueBase = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(values.FloatArray), values.Offset + (kvHead * headDim));
        Span<float> scores = _scores[worker].AsSpan(0, keys.Rows);
        float max = float.NegativeInfinity;
        for (int j = 0; j < scores.Length; j++)
        {
            int keyPosition = keyPositions.IntRow(j)[0];
            bool visible = keyPosition <= position && (window <= 0 || keyPosition > position - window);
            float score = visible ? CpuDot.Dot(ref query, ref Unsafe.Add(ref keyBase, j * keys.Cols), headDim) * shape.Scale : float.NegativeInfinity;
            if (visible && shape.SoftCap > 0)
            {
                score = MathF.Tanh(score / shape.SoftCap) * shape.SoftCap;
            }

            scores[j] = score;
            max = MathF.Max(max, score);
        }

        Span<float> destination = _output!.FloatArray.AsSpan(_output.Offset + (row * _output.Cols) + (head * headDim), headDim);
        ref float lse = ref _lse!.FloatArray[_lse.Offset + (row * _lse.Cols) + head];
        destination.Clear();
        if (float.IsNegativeInfinity(max))
        {
            lse = float.NegativeInfinity;
            return;
        }

        TensorPrimitives.Subtract(scores, max, scores);
        TensorPrimitives.Exp(scores, scores);
        float sum = 0f;
        for (int j = 0; j < scores.Length; j++)
        {
            if (scores[j] != 0f)
            {
                sum += scores[j];
                CpuDot.AddScaled(ref destination[0], scores[j], ref Unsafe.Add(ref valueBase, j * values.Cols), headDim);
            }
        }

        TensorPrimitives.Divide(destination, sum, destination);
        lse = max + MathF.Log(sum);
    }
}
