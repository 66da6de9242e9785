using InferMesh.Engine.Loading;
using InferMesh.Kernels;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Engine.Model;

/// <summary>
/// The sparse feed-forward of a mixture-of-experts layer:
/// Σ_{e ∈ topK(softmax(router(h)))} w_e · down_e(silu(gate_e(h)) · up_e(h)) [+ sigmoid(g·h) · shared(h)],
/// as transformers' MixtralSparseMoeBlock / Qwen2MoeSparseMoeBlock / Qwen3MoeSparseMoeBlock compute it: router logits
/// in the activation type, softmax in float32, top-k, optional renormalisation, weights cast back to the activation
/// type, expert outputs summed in expert order into a buffer that the caller then adds to the residual. Routing is
/// decided on the host: the router's logits ([rows × experts], a few KB) come down once per layer, then each chosen
/// expert runs its two GEMMs over just the rows routed to it (gathered, computed, and scattered back with
/// <see cref="IComputeBackend.ScatterScaledRows"/> — written for the rows it reaches first, added for the others, so
/// the sum needs no zeroing). The host round trip makes a step of an expert model uncapturable as a device graph.
/// Buffers are sized once for <c>maxRows</c>; views of them are cached per row count, so a step allocates nothing.
/// </summary>
public sealed class MixtureOfExperts : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly ExpertConfig _experts;
    private readonly DeviceTensor _logits, _gathered, _gateUp, _act, _out, _sum, _rows, _scales, _identity;
    private readonly DeviceTensor? _sharedGateUp, _sharedAct, _sharedOut, _sharedGate;
    private readonly Dictionary<DeviceTensor, DeviceTensor?[]> _views = [];
    private readonly float[] _hostLogits;
    private readonly int[] _counts, _expertRows;
    private readonly float[] _expertScales, _hostShared;
    private readonly bool[] _reached;
    private readonly int[] _partRows;
    private readonly float[] _partScales;

    public MixtureOfExperts(IComputeBackend backend, ModelConfig config, int maxRows)
    {
        _backend = backend;
        _experts = config.Experts ?? throw new ArgumentException($"{config.Path}: not a mixture-of-experts model.", nameof(config));
        var e = _experts.Count;
        var hidden = config.HiddenSize;
        _logits = backend.Allocate(maxRows, e, DType.F32);
        _gathered = backend.Allocate(maxRows, hidden);
        _gateUp = backend.Allocate(maxRows, 2 * _experts.IntermediateSize);
        _act = backend.Allocate(maxRows, _experts.IntermediateSize);
        _out = backend.Allocate(maxRows, hidden);
        _sum = backend.Allocate(maxRows, hidden);
        _rows = backend.Allocate(maxRows, 1, DType.I32);
        _scales = backend.Allocate(maxRows, 1, DType.F32);
        _identity = backend.Allocate(maxRows, 1, DType.I32);
        backend.Upload(Enumerable.Range(0, maxRows).ToArray(), _identity);
        if (_experts.SharedIntermediateSize > 0)
        {
            _sharedGateUp = backend.Allocate(maxRows, 2 * _experts.SharedIntermediateSize);
            _sharedAct = backend.Allocate(maxRows, _experts.SharedIntermediateSize);
            _sharedOut = backend.Allocate(maxRows, hidden);
            _sharedGate = backend.Allocate(maxRows, 1, DType.F32);
        }

        _hostLogits = new float[maxRows * e];
        _counts = new int[e];
        _expertRows = new int[e * maxRows];
        _expertScales = new float[e * maxRows];
        _hostShared = new float[maxRows];
        _reached = new bool[maxRows];
        _partRows = new int[maxRows];
        _partScales = new float[maxRows];
    }

    /// <summary>The layer's expert mixture of <paramref name="normed"/> [rows × hidden], in a buffer valid until the next call.</summary>
    public DeviceTensor Compute(ExpertLayerWeights weights, DeviceTensor normed)
    {
        var b = _backend;
        var rows = normed.Rows;
        var count = _experts.Count;
        var logits = View(_logits, rows);
        b.MatMul(normed, weights.Router, null, logits);
        b.Download(logits, _hostLogits.AsSpan(0, rows * count));
        Route(rows);

        var sum = View(_sum, rows);
        var maxRows = _rows.Rows;
        Array.Clear(_reached, 0, rows);
        for (var e = 0; e < count; e++)
        {
            var n = _counts[e];
            if (n == 0)
            {
                continue;
            }

            var expertRows = View(_rows, n);
            b.Upload(_expertRows.AsSpan(e * maxRows, n), expertRows);
            var gathered = View(_gathered, n);
            var gateUp = View(_gateUp, n);
            var act = View(_act, n);
            var output = View(_out, n);
            b.GatherRows(normed, expertRows, gathered);
            b.MatMul(gathered, weights.GateUp[e], null, gateUp);
            b.SwiGlu(gateUp, act);
            b.MatMul(act, weights.Down[e], null, output);

            // Rows this expert reaches first are written, the others added to (experts in index order, as transformers'
            // index_add_ loop), so the buffer's previous contents never leak in.
            Scatter(output, e * maxRows, n, accumulate: false);
            Scatter(output, e * maxRows, n, accumulate: true);
            for (var i = 0; i < n; i++)
            {
                _reached[_expertRows[(e * maxRows) + i]] = true;
            }
        }

        if (weights.SharedGateUp is { } sharedGateUp)
        {
            var gate = View(_sharedGate!, rows);
            var shared = View(_sharedOut!, rows);
            b.MatMul(normed, sharedGateUp, null, View(_sharedGateUp!, rows));
            b.SwiGlu(View(_sharedGateUp!, rows), View(_sharedAct!, rows));
            b.MatMul(View(_sharedAct!, rows), weights.SharedDown!, null, shared);
            b.MatMul(normed, weights.SharedGate!, null, gate);
            b.Download(gate, _hostShared.AsSpan(0, rows));
            for (var r = 0; r < rows; r++)
            {
                _hostShared[r] = ToActivation(1f / (1f + MathF.Exp(-ToActivation(_hostShared[r]))));
            }

            var scales = View(_scales, rows);
            b.Upload(_hostShared.AsSpan(0, rows), scales);
            b.ScatterScaledRows(shared, View(_identity, rows), scales, sum, accumulate: true);
        }

        return sum;
    }

    /// <summary>
    /// Scatters the rows of an expert's output whose token this layer has not reached yet (write) or has (accumulate).
    /// Uploads are ordered on the backend's stream with the kernels around them, so one index buffer serves both steps.
    /// </summary>
    private void Scatter(DeviceTensor output, int at, int n, bool accumulate)
    {
        var part = 0;
        for (var i = 0; i < n; i++)
        {
            if (_reached[_expertRows[at + i]] == accumulate)
            {
                _partRows[part] = i;
                _partScales[part] = _expertScales[at + i];
                part++;
            }
        }

        if (part == 0)
        {
            return;
        }

        var b = _backend;
        var sum = View(_sum, _sum.Rows);
        var rows = View(_rows, part);
        var scales = View(_scales, part);
        var source = output;
        if (part < n)
        {
            // Bring the subset's output rows to the front of the gathered buffer (its input is consumed by now).
            source = View(_gathered, part);
            b.Upload(_partRows.AsSpan(0, part), rows);
            b.GatherRows(output, rows, source);
        }

        for (var j = 0; j < part; j++)
        {
            _partRows[j] = _expertRows[at + _partRows[j]];
        }

        b.Upload(_partRows.AsSpan(0, part), rows);
        b.Upload(_partScales.AsSpan(0, part), scales);
        b.ScatterScaledRows(source, rows, scales, sum, accumulate);
    }

    /// <summary>Fills each expert's row list and weights from the downloaded router logits.</summary>
    private void Route(int rows)
    {
        var count = _experts.Count;
        var k = _experts.TopK;
        var maxRows = _rows.Rows;
        Array.Clear(_counts);
        Span<int> chosen = stackalloc int[k];
        Span<float> weight = stackalloc float[k];
        Span<bool> taken = count <= 1024 ? stackalloc bool[count] : new bool[count];
        for (var r = 0; r < rows; r++)
        {
            var row = _hostLogits.AsSpan(r * count, count);

            // The gate Linear's output is in the activation type; softmax in float32; then the k largest (the lower index
            // first on ties; NaN counts as largest, as torch.topk orders it, so a broken row still routes somewhere).
            var max = float.NegativeInfinity;
            for (var e = 0; e < count; e++)
            {
                row[e] = ToActivation(row[e]);
                max = MathF.Max(max, row[e]);
            }

            var sum = 0f;
            for (var e = 0; e < count; e++)
            {
                row[e] = MathF.Exp(row[e] - max);
                sum += row[e];
            }

            for (var e = 0; e < count; e++)
            {
                row[e] /= sum;
            }

            taken.Clear();
            var total = 0f;
            for (var j = 0; j < k; j++)
            {
                var best = -1;
                for (var e = 0; e < count; e++)
                {
                    if (!taken[e] && (best < 0 || Larger(row[e], row[best])))
                    {
                        best = e;
                    }
                }

                taken[best] = true;
                chosen[j] = best;
                weight[j] = row[best];
                total += row[best];
            }

            for (var j = 0; j < k; j++)
            {
                var e = chosen[j];
                var w = _experts.NormalizeTopK ? weight[j] / total : weight[j];
                _expertRows[(e * maxRows) + _counts[e]] = r;
                _expertScales[(e * maxRows) + _counts[e]] = ToActivation(w);
                _counts[e]++;
            }
        }
    }

    private static bool Larger(float a, float b) => float.IsNaN(a) ? !float.IsNaN(b) : a > b;

    /// <summary>transformers casts the routing weights to the activation type before scaling the expert outputs.</summary>
    private float ToActivation(float value) => _backend.ActivationType switch
    {
        DType.BF16 => FloatConversion.BFloat16ToSingle(FloatConversion.SingleToBFloat16(value)),
        DType.F16 => (float)(Half)value,
        _ => value,
    };

    private DeviceTensor View(DeviceTensor buffer, int rows)
    {
        if (!_views.TryGetValue(buffer, out var views))
        {
            views = new DeviceTensor?[buffer.Rows + 1];
            _views[buffer] = views;
        }

        return views[rows] ??= rows == buffer.Rows ? buffer : buffer.View(0, rows);
    }

    public void Dispose()
    {
        foreach (var t in new[] { _logits, _gathered, _gateUp, _act, _out, _sum, _rows, _scales, _identity, _sharedGateUp, _sharedAct, _sharedOut, _sharedGate })
        {
            t?.Dispose();
        }
    }
}
