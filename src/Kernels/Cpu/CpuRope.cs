namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Rotary position embedding in the rotate-half form of HF Llama
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/modeling_llama.py,
/// LlamaRotaryEmbedding and apply_rotary_pos_emb): angle = position · invFreq[i] as one fp32 multiply,
/// cos/sin of it (evaluated in double and rounded, within 1 ulp of torch's fp32 cos/sin) times attentionScaling, then
/// x[i] ← x[i]·cos − x[i+d/2]·sin and x[i+d/2] ← x[i+d/2]·cos + x[i]·sin for every head, rounding each product
/// separately as torch does. One work item per row; the row's cos/sin table is built once for all its heads.
/// </summary>
internal sealed class CpuRope : ICpuWork
{
    private const long ParallelThresholdElements = 32 * 1024;

    private readonly CpuWorkerPool _pool;
    private readonly float[][] _scratch;
    private CpuTensor? _x, _positions, _invFreq;
    private int _headDim;
    private float _scaling;

    public CpuRope(CpuWorkerPool pool)
    {
        _pool = pool;
        _scratch = new float[pool.WorkerCount][];
        Array.Fill(_scratch, []);
    }

    public void Run(CpuTensor x, int headDim, CpuTensor positions, CpuTensor invFreq, float attentionScaling)
    {
        for (int i = 0; i < _scratch.Length; i++)
        {
            if (_scratch[i].Length < headDim)
            {
                _scratch[i] = new float[headDim];
            }
        }

        _x = x;
        _headDim = headDim;
        _positions = positions;
        _invFreq = invFreq;
        _scaling = attentionScaling;
        try
        {
            _pool.Run(this, x.Rows, parallel: x.ElementCount >= ParallelThresholdElements);
        }
        finally
        {
            _x = _positions = _invFreq = null;
        }
    }

    public void Execute(int worker, int item)
    {
        int half = _headDim / 2;
        Span<float> cos = _scratch[worker].AsSpan(0, half);
        Span<float> sin = _scratch[worker].AsSpan(half, half);
        ReadOnlySpan<float> invFreq = _invFreq!.FloatRow(0);
        float position = _positions!.IntRow(item)[0];
        for (int i = 0; i < half; i++)
        {
            float angle = position * invFreq[i];
            cos[i] = (float)Math.Cos(angle) * _scaling;
            sin[i] = (float)Math.Sin(angle) * _scaling;
        }

        Span<float> row = _x!.FloatRow(item);
        for (int head = 0; head + _headDim <= row.Length; head += _headDim)
        {
            Span<float> first = row.Slice(head, half);
            Span<float> second = row.Slice(head + half, half);
            for (int i = 0; i < half; i++)
            {
                float x1 = first[i];
                float x2 = second[i];
                first[i] = (x1 * cos[i]) - (x2 * sin[i]);
                second[i] = (x2 * cos[i]) + (x1 * sin[i]);
            }
        }
    }
}
