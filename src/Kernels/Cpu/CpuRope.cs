namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Rotary position embedding in the rotate-half form of HF Llama
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/modeling_llama.py,
/// LlamaRotaryEmbedding and apply_rotary_pos_emb): angle = position · invFreq[i] as one fp32 multiply,
/// cos/sin of it (evaluated in double and rounded, within 1 ulp of torch's fp32 cos/sin) times attentionScaling, then
/// x[i] ← x[i]·cos − x[i+r/2]·sin and x[i+r/2] ← x[i+r/2]·cos + x[i]·sin for every head, rounding each product
/// separately as torch does, with r = 2·|invFreq| the rotary dimension: r = d for full rotary; for partial rotary
/// (Phi-4-mini's partial_rotary_factor) values r..d of each head pass through unchanged, as transformers'
/// cat(rotate(q_rot), q_pass). One work item per row; the row's cos/sin table is built once for all its heads (for a
/// packed q | k | v row, once for the q and k heads).
/// </summary>
internal sealed class CpuRope : ICpuWork
{
    private const long ParallelThresholdElements = 32 * 1024;

    private readonly CpuWorkerPool _pool;
    private readonly float[][] _scratch;
    private CpuTensor? _x, _positions, _invFreq;
    private CpuTensor? _queries, _keyCache, _valueCache, _slots;
    private int _headDim;
    private float _scaling;

    public CpuRope(CpuWorkerPool pool)
    {
        _pool = pool;
        _scratch = new float[pool.WorkerCount][];
        Array.Fill(_scratch, []);
    }

    /// <summary>Rotates every head of x in place.</summary>
    public void Run(CpuTensor x, int headDim, CpuTensor positions, CpuTensor invFreq, float attentionScaling) =>
        Start(x, headDim, positions, invFreq, attentionScaling);

    /// <summary>
    /// Packed q | k | v rows: q rotated into queries, k rotated into keyCache[slots[t]], v copied to valueCache[slots[t]]
    /// (negative slots skipped). The rotation is the same code as <see cref="Run"/>, so the numbers are too.
    /// </summary>
    public void RunPacked(CpuTensor qkv, int headDim, CpuTensor positions, CpuTensor invFreq, float attentionScaling, CpuTensor queries, CpuTensor keyCache, CpuTensor valueCache, CpuTensor slots)
    {
        _queries = queries;
        _keyCache = keyCache;
        _valueCache = valueCache;
        _slots = slots;
        try
        {
            Start(qkv, headDim, positions, invFreq, attentionScaling);
        }
        finally
        {
            _queries = _keyCache = _valueCache = _slots = null;
        }
    }

    public void Execute(int worker, int item)
    {
        int half = _invFreq!.Cols;
        Span<float> cos = _scratch[worker].AsSpan(0, half);
        Span<float> sin = _scratch[worker].AsSpan(half, half);
        ReadOnlySpan<float> invFreq = _invFreq.FloatRow(0);
        float position = _positions!.IntRow(item)[0];
        for (int i = 0; i < half; i++)
        {
            float angle = position * invFreq[i];
            cos[i] = (float)Math.Cos(angle) * _scaling;
            sin[i] = (float)Math.Sin(angle) * _scaling;
        }

        Span<float> row = _x!.FloatRow(item);
        if (_queries is null)
        {
            Rotate(row, row, cos, sin);
            return;
        }

        int queryWidth = _queries.Cols;
        int kvWidth = _keyCache!.Cols;
        Rotate(row[..queryWidth], _queries.FloatRow(item), cos, sin);
        int slot = _slots!.IntRow(item)[0];
        if (slot >= 0)
        {
            Rotate(row.Slice(queryWidth, kvWidth), _keyCache.FloatRow(slot), cos, sin);
            row.Slice(queryWidth + kvWidth, kvWidth).CopyTo(_valueCache!.FloatRow(slot));
        }
    }

    private void Start(CpuTensor x, int headDim, CpuTensor positions, CpuTensor invFreq, float attentionScaling)
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

    /// <summary>
    /// destination = source with every head rotated; source and destination may be the same span. Values past the
    /// rotary dimension are copied when the spans differ (in place they already hold the right values).
    /// </summary>
    private void Rotate(ReadOnlySpan<float> source, Span<float> destination, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = cos.Length;
        int rotary = 2 * half;
        bool copyPass = rotary < _headDim && !source.Overlaps(destination);
        for (int head = 0; head + _headDim <= source.Length; head += _headDim)
        {
            ReadOnlySpan<float> first = source.Slice(head, half);
            ReadOnlySpan<float> second = source.Slice(head + half, half);
            Span<float> firstOut = destination.Slice(head, half);
            Span<float> secondOut = destination.Slice(head + half, half);
            for (int i = 0; i < half; i++)
            {
                float x1 = first[i];
                float x2 = second[i];
                firstOut[i] = (x1 * cos[i]) - (x2 * sin[i]);
                secondOut[i] = (x2 * cos[i]) + (x1 * sin[i]);
            }

            if (copyPass)
            {
                source.Slice(head + rotary, _headDim - rotary).CopyTo(destination.Slice(head + rotary, _headDim - rotary));
            }
        }
    }
}
