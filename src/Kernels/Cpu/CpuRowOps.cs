using System.Numerics.Tensors;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// The row-wise operations (RMSNorm, residual add, SiLU·mul and its fused-projection form SwiGLU, GELU(tanh)·up,
/// scale, soft cap, argmax): one work item per row, each row computed with
/// whole-row TensorPrimitives calls so its bits depend only on the row (TensorPrimitives picks scalar or vector code
/// by length, which is the same for every row of a tensor).
/// </summary>
internal sealed class CpuRowOps : ICpuWork
{
    /// <summary>Below this many elements an operation runs on the calling thread.</summary>
    private const long ParallelThresholdElements = 32 * 1024;

    private readonly CpuWorkerPool _pool;
    private readonly float[][] _scratch;
    private Kind _kind;
    private CpuTensor? _a, _b, _c;
    private float _eps;

    public CpuRowOps(CpuWorkerPool pool)
    {
        _pool = pool;
        _scratch = new float[pool.WorkerCount][];
        Array.Fill(_scratch, []);
    }

    private enum Kind
    {
        RmsNorm,
        Add,
        SiluMul,
        SwiGlu,
        GeluTanhGlu,
        Scale,
        SoftCap,
        Argmax,
    }

    /// <summary>
    /// output = x / sqrt(mean(x²) + eps) · weight, in the order of HF LlamaRMSNorm
    /// (https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/modeling_llama.py):
    /// variance in fp32, x · rsqrt(variance + eps), then · weight.
    /// </summary>
    public void RmsNorm(CpuTensor x, CpuTensor weight, float eps, CpuTensor output)
    {
        _eps = eps;
        Run(Kind.RmsNorm, x, weight, output);
    }

    /// <summary>One row of <see cref="RmsNorm"/>: mean square in fp32, x · rsqrt(mean + eps), then · weight (in place when x is output).</summary>
    public static void NormalizeRow(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> output)
    {
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float inverseRms = 1f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(x, inverseRms, output);
        TensorPrimitives.Multiply(output, weight, output);
    }

    public void Add(CpuTensor accumulator, CpuTensor x) => Run(Kind.Add, accumulator, x, null);

    /// <summary>output = silu(gate) · up with silu(g) = g / (1 + e^-g), as torch.nn.functional.silu.</summary>
    public void SiluMul(CpuTensor gate, CpuTensor up, CpuTensor output)
    {
        EnsureScratch(gate.Cols);
        Run(Kind.SiluMul, gate, up, output);
    }

    /// <summary>output = silu(gate) · up where each row of gateUp is gate | up (the halves of a fused projection).</summary>
    public void SwiGlu(CpuTensor gateUp, CpuTensor output)
    {
        EnsureScratch(output.Cols);
        Run(Kind.SwiGlu, gateUp, null, output);
    }

    /// <summary>output = gelu_tanh(gate) · up where each row of gateUp is gate | up (Gemma's MLP).</summary>
    public void GeluTanhGlu(CpuTensor gateUp, CpuTensor output)
    {
        EnsureScratch(output.Cols);
        Run(Kind.GeluTanhGlu, gateUp, null, output);
    }

    /// <summary>x *= factor in place.</summary>
    public void Scale(CpuTensor x, float factor)
    {
        _eps = factor;
        Run(Kind.Scale, x, null, null);
    }

    /// <summary>x = tanh(x / cap) · cap in place, in that order (transformers divides, takes tanh, multiplies).</summary>
    public void SoftCap(CpuTensor x, float cap)
    {
        _eps = cap;
        Run(Kind.SoftCap, x, null, null);
    }

    public void Argmax(CpuTensor logits, CpuTensor ids) => Run(Kind.Argmax, logits, ids, null);

    public void Execute(int worker, int item)
    {
        switch (_kind)
        {
            case Kind.RmsNorm:
                {
                    NormalizeRow(_a!.FloatRow(item), _b!.FloatRow(0), _eps, _c!.FloatRow(item));
                    break;
                }

            case Kind.Add:
                {
                    Span<float> accumulator = _a!.FloatRow(item);
                    TensorPrimitives.Add(accumulator, _b!.FloatRow(item), accumulator);
                    break;
                }

            case Kind.SiluMul:
                SiluMul(_a!.FloatRow(item), _b!.FloatRow(item), _c!.FloatRow(item), _scratch[worker]);
                break;

            case Kind.SwiGlu:
                {
                    Span<float> gateUp = _a!.FloatRow(item);
                    int width = _c!.Cols;
                    SiluMul(gateUp[..width], gateUp[width..], _c.FloatRow(item), _scratch[worker]);
                    break;
                }

            case Kind.GeluTanhGlu:
                {
                    Span<float> gateUp = _a!.FloatRow(item);
                    int width = _c!.Cols;
                    GeluTanhMul(gateUp[..width], gateUp[width..], _c.FloatRow(item), _scratch[worker]);
                    break;
                }

            case Kind.Scale:
                {
                    Span<float> row = _a!.FloatRow(item);
                    TensorPrimitives.Multiply(row, _eps, row);
                    break;
                }

            case Kind.SoftCap:
                {
                    Span<float> row = _a!.FloatRow(item);
                    TensorPrimitives.Divide(row, _eps, row);
                    TensorPrimitives.Tanh(row, row);
                    TensorPrimitives.Multiply(row, _eps, row);
                    break;
                }

            case Kind.Argmax:
                _b!.IntRow(item)[0] = IndexOfMax(_a!.FloatRow(item));
                break;
        }
    }

    /// <summary>
    /// output = gelu_tanh(gate) · up for one row, in the order of torch's tanh-approximated GELU (aten GeluKernel):
    /// 0.5 · g · (1 + tanh(√(2/π) · (g + 0.044715 · g³))), then · up.
    /// </summary>
    private static void GeluTanhMul(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output, float[] scratch)
    {
        const float beta = 0.7978845608028654f; // √2 · (2/√π) · 0.5 = √(2/π)
        const float kappa = 0.044715f;
        Span<float> inner = scratch.AsSpan(0, gate.Length);
        TensorPrimitives.Multiply(gate, gate, inner);
        TensorPrimitives.Multiply(inner, gate, inner);
        TensorPrimitives.MultiplyAdd(inner, kappa, gate, inner);
        TensorPrimitives.Multiply(inner, beta, inner);
        TensorPrimitives.Tanh(inner, inner);
        TensorPrimitives.Add(inner, 1f, inner);
        TensorPrimitives.Multiply(inner, gate, inner);
        TensorPrimitives.Multiply(inner, 0.5f, inner);
        TensorPrimitives.Multiply(inner, up, output);
    }

    /// <summary>output = silu(gate) · up for one row: the same TensorPrimitives calls for SiluMul and SwiGlu, so the same bits.</summary>
    private static void SiluMul(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output, float[] scratch)
    {
        Span<float> denominator = scratch.AsSpan(0, gate.Length);
        TensorPrimitives.Negate(gate, denominator);
        TensorPrimitives.Exp(denominator, denominator);
        TensorPrimitives.Add(denominator, 1f, denominator);
        TensorPrimitives.Divide(gate, denominator, denominator);
        TensorPrimitives.Multiply(denominator, up, output);
    }

    /// <summary>Lowest index of the largest value (torch.argmax); NaN counts as largest, and +0 ties with -0.</summary>
    private static int IndexOfMax(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty)
        {
            return -1;
        }

        int index = TensorPrimitives.IndexOfMax(row);
        if (row[index] == 0f)
        {
            // TensorPrimitives ranks +0 above -0; torch treats them as a tie, so the first zero wins.
            for (int i = 0; i < index; i++)
            {
                if (row[i] == 0f)
                {
                    return i;
                }
            }
        }

        return index;
    }

    private void EnsureScratch(int length)
    {
        for (int i = 0; i < _scratch.Length; i++)
        {
            if (_scratch[i].Length < length)
            {
                _scratch[i] = new float[length];
            }
        }
    }

    private void Run(Kind kind, CpuTensor a, CpuTensor? b, CpuTensor? c)
    {
        _kind = kind;
        _a = a;
        _b = b;
        _c = c;
        try
        {
            _pool.Run(this, a.Rows, parallel: a.ElementCount >= ParallelThresholdElements);
        }
        finally
        {
            _a = _b = _c = null;
        }
    }
}
