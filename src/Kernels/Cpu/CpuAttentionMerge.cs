namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Exact merge of two partial attention results over disjoint key sets, in place into A, row by row:
/// lse = log(e^lseA + e^lseB) computed around the larger of the two, out = outA·e^(lseA−lse) + outB·e^(lseB−lse)
/// (Dao, FlashAttention-2, https://arxiv.org/abs/2307.08691 §3.1; Liu et al., Ring Attention, https://arxiv.org/abs/2310.01889).
/// </summary>
internal sealed class CpuAttentionMerge : ICpuWork
{
    private readonly CpuWorkerPool _pool;
    private CpuTensor? _outputA, _lseA, _outputB, _lseB;

    public CpuAttentionMerge(CpuWorkerPool pool) => _pool = pool;

    public void Run(CpuTensor outputA, CpuTensor lseA, CpuTensor outputB, CpuTensor lseB)
    {
        (_outputA, _lseA, _outputB, _lseB) = (outputA, lseA, outputB, lseB);
        try
        {
            _pool.Run(this, outputA.Rows);
        }
        finally
        {
            _outputA = _lseA = _outputB = _lseB = null;
        }
    }

    public void Execute(int worker, int item)
    {
        Span<float> lseA = _lseA!.FloatRow(item);
        ReadOnlySpan<float> lseB = _lseB!.FloatRow(item);
        Span<float> outA = _outputA!.FloatRow(item);
        ReadOnlySpan<float> outB = _outputB!.FloatRow(item);
        int headDim = outA.Length / lseA.Length;
        for (int h = 0; h < lseA.Length; h++)
        {
            float a = lseA[h], b = lseB[h];
            float max = MathF.Max(a, b);
            if (float.IsNegativeInfinity(b) || float.IsNegativeInfinity(max))
            {
                continue;
            }

            float wa = MathF.Exp(a - max), wb = MathF.Exp(b - max);
            float total = wa + wb;
            wa /= total;
            wb /= total;
            Span<float> o = outA.Slice(h * headDim, headDim);
            ReadOnlySpan<float> ob = outB.Slice(h * headDim, headDim);
            for (int i = 0; i < headDim; i++)
            {
                o[i] = (o[i] * wa) + (ob[i] * wb);
            }

            lseA[h] = max + MathF.Log(total);
        }
    }
}
