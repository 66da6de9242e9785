using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// y = x · wᵀ (+ bias) for fp32 x [T×K] and w [O×K]. Each y[t,o] is one <see cref="CpuDot"/> dot product of x row t
/// and weight row o over the whole K (never split), so it is bit-identical whatever the batch or thread count.
/// Work items are tiles of (token rows × weight rows): a weight tile small enough to stay in L2 is reused for every
/// token row of the tile, which is what makes prefill compute-bound instead of memory-bound.
///
/// Weights are converted to fp32 on load rather than widened from bf16 on the fly. Widening is exact, so the choice
/// changes speed and memory only, never results. Measured with CpuMatMulBenchmark (INFERMESH_BENCH=1) on the 2-core
/// AMD EPYC (AVX-512) dev box shared with other jobs, best of several runs, both threads:
///   1024×4096 (16 MB fp32, stays in L3): backend GEMV 0.10 ms (~80 GFLOP/s, weights at ~160 GB/s); 16 rows 0.46 ms
///   (~290 GFLOP/s); 64 rows 2.2 ms (~245 GFLOP/s). Same 4-row GEMV harness (Parallel.For): fp32 0.21–0.23 ms,
///   bf16 widened in registers 0.07–0.15 ms, bf16 converted to an fp32 copy per call then multiplied 1.05–1.10 ms.
///   8192×8192 (256 MB fp32 / 128 MB bf16, DRAM-bound): fp32 2.7–2.9 ms, bf16 widened in registers 2.2–2.4 ms.
/// Converting per call is 5–10× slower, so it is out. Widening in registers wins ~1.2× where decode is DRAM-bound and
/// halves weight memory, but fp32 storage keeps one kernel set whose prefill GEMM runs at the full FMA rate; a BF16
/// weight storage type with kernels of this same reduction order is the upgrade path if decode of large models on CPU
/// matters.
/// </summary>
internal sealed class CpuMatMul : ICpuWork
{
    /// <summary>Bytes of a weight tile kept hot while token rows stream past it.</summary>
    private const int WeightTileBytes = 128 * 1024;

    /// <summary>Token rows per tile: bounds the x rows streamed per weight tile.</summary>
    private const int TokenTileRows = 32;

    /// <summary>Below this many multiply-adds the call runs on the calling thread (waking workers costs more).</summary>
    private const long ParallelThresholdMacs = 64 * 1024;

    private readonly CpuWorkerPool _pool;
    private float[] _x = [];
    private float[] _w = [];
    private float[] _y = [];
    private float[]? _bias;
    private int _xOffset, _wOffset, _yOffset, _biasOffset;
    private int _tokens, _inputs, _outputs, _outTile, _outTiles;

    public CpuMatMul(CpuWorkerPool pool) => _pool = pool;

    public void Run(CpuTensor x, CpuTensor weight, CpuTensor? bias, CpuTensor y)
    {
        _x = x.FloatArray;
        _w = weight.FloatArray;
        _y = y.FloatArray;
        _bias = bias?.FloatArray;
        _xOffset = x.Offset;
        _wOffset = weight.Offset;
        _yOffset = y.Offset;
        _biasOffset = bias?.Offset ?? 0;
        _tokens = x.Rows;
        _inputs = x.Cols;
        _outputs = weight.Rows;
        _outTile = Math.Clamp((WeightTileBytes / Math.Max(1, _inputs * sizeof(float))) & ~3, 4, 64);
        _outTiles = (_outputs + _outTile - 1) / _outTile;
        int tokenTiles = (_tokens + TokenTileRows - 1) / TokenTileRows;
        long macs = (long)_tokens * _outputs * _inputs;
        try
        {
            _pool.Run(this, _outTiles * tokenTiles, parallel: macs >= ParallelThresholdMacs);
        }
        finally
        {
            _x = _w = _y = [];
            _bias = null;
        }
    }

    public void Execute(int worker, int item)
    {
        int tStart = (item / _outTiles) * TokenTileRows;
        int tEnd = Math.Min(_tokens, tStart + TokenTileRows);
        int oStart = (item % _outTiles) * _outTile;
        int oEnd = Math.Min(_outputs, oStart + _outTile);
        int k = _inputs;
        int yCols = _outputs;
        ref float x = ref MemoryMarshal.GetArrayDataReference(_x);
        ref float w = ref MemoryMarshal.GetArrayDataReference(_w);
        ref float y = ref MemoryMarshal.GetArrayDataReference(_y);

        int o = oStart;
        for (; o + 4 <= oEnd; o += 4)
        {
            ref float wRow = ref Unsafe.Add(ref w, _wOffset + (o * k));
            int t = tStart;
            for (; t + 4 <= tEnd; t += 4)
            {
                CpuDot.Dot4x4(
                    ref wRow, k, ref Unsafe.Add(ref x, _xOffset + (t * k)), k, k, ref Unsafe.Add(ref y, _yOffset + (t * yCols) + o), yCols);
            }

            for (; t < tEnd; t++)
            {
                CpuDot.Dot4x1(ref wRow, k, ref Unsafe.Add(ref x, _xOffset + (t * k)), k, ref Unsafe.Add(ref y, _yOffset + (t * yCols) + o));
            }
        }

        for (; o < oEnd; o++)
        {
            ref float wRow = ref Unsafe.Add(ref w, _wOffset + (o * k));
            for (int t = tStart; t < tEnd; t++)
            {
                Unsafe.Add(ref y, _yOffset + (t * yCols) + o) = CpuDot.Dot(ref wRow, ref Unsafe.Add(ref x, _xOffset + (t * k)), k);
            }
        }

        if (_bias is { } bias)
        {
            ReadOnlySpan<float> b = bias.AsSpan(_biasOffset + oStart, oEnd - oStart);
            for (int t = tStart; t < tEnd; t++)
            {
                Span<float> row = _y.AsSpan(_yOffset + (t * yCols) + oStart, oEnd - oStart);
                TensorPrimitives.Add(row, b, row);
            }
        }
    }
}
