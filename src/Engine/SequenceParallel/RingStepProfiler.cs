using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Measures on one device, with the model's real weights, the per-step costs <see cref="RingCostModel"/> is computed
/// from at a split size R: one ring step's attention (block attention of member 0's R zig-zag queries over member 1's
/// R keys of a two-member split of 2R tokens — R²/2 visible pairs, as every step of a zig-zag ring has — plus the LSE
/// merge), and one layer's non-attention work at R rows (norms, QKV and O projections, RoPE, SwiGLU MLP, residual adds)
/// scaled to all layers per token. Inputs are zeros: the kernels' time does not depend on the values.
/// </summary>
public sealed class RingStepProfiler(IComputeBackend backend, LlamaWeights weights)
{
    /// <summary>Measures split size <paramref name="rows"/> (rounded up to even, so both zig-zag halves are R/2).</summary>
    public RingStepMeasurement Measure(int rows, int repeats = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 2);
        rows += rows % 2;
        var c = weights.Config;
        if (weights.Layers.Any(layer => layer.GateUpProjection is null))
        {
            throw new NotSupportedException($"{c.Path}: the ring step profiler measures a dense MLP; this mixture-of-experts model's per-token cost depends on its routing, which the profiler does not model.");
        }

        var partition = SequencePartition.ZigZag(2 * rows, 2);
        var shape = new AttentionShape(c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, 1f / MathF.Sqrt(c.HeadDim), weights.Layers[0].SlidingWindow, 16);
        var owned = new List<DeviceTensor>();
        DeviceTensor Own(DeviceTensor t)
        {
            owned.Add(t);
            return t;
        }

        try
        {
            var queryPositions = Own(Positions(partition.Positions(0)));
            var keyPositions = Own(Positions(partition.Positions(1)));
            var queries = Own(backend.Allocate(rows, shape.QueryWidth));
            var keys = Own(backend.Allocate(rows, shape.KvWidth));
            var values = Own(backend.Allocate(rows, shape.KvWidth));
            var output = Own(backend.Allocate(rows, shape.QueryWidth));
            var lse = Own(backend.Allocate(rows, c.NumAttentionHeads, DType.F32));
            var merged = Own(backend.Allocate(rows, shape.QueryWidth));
            var mergedLse = Own(backend.Allocate(rows, c.NumAttentionHeads, DType.F32));
            var attention = DeviceTimer.MedianSeconds(backend, () =>
            {
                backend.BlockAttention(queries, queryPositions, keys, values, keyPositions, shape, output, lse);
                backend.MergeAttention(merged, mergedLse, output, lse);
            }, repeats);

            var (invFreq, scaling) = RotaryFrequencies.ForWeights(weights);
            var frequencies = Own(backend.Allocate(1, invFreq.Length, DType.F32));
            backend.Upload(invFreq, frequencies);
            var x = Own(backend.Allocate(rows, c.HiddenSize));
            var h = Own(backend.Allocate(rows, c.HiddenSize));
            var o = Own(backend.Allocate(rows, c.HiddenSize));
            var gate = Own(backend.Allocate(rows, c.IntermediateSize));
            var gateUp = Own(backend.Allocate(rows, 2 * c.IntermediateSize));
            var qkv = Own(backend.Allocate(rows, (c.NumAttentionHeads + (2 * c.NumKeyValueHeads)) * c.HeadDim));
            var ownRows = Positions(Enumerable.Range(0, rows).ToArray());
            owned.Add(ownRows);
            var w = weights.Layers[0];
            var layer = DeviceTimer.MedianSeconds(backend, () =>
            {
                backend.RmsNorm(x, w.InputNorm, c.RmsNormEps, h);
                w.ProjectQkv(backend, h, qkv, c);
                backend.RopeWriteQkv(qkv, c.HeadDim, queryPositions, frequencies, scaling, queries, keys, values, ownRows);
                backend.MatMul(output, w.OutputProjection, w.OutputBias, o);
                backend.Add(x, o);
                backend.RmsNorm(x, w.PostAttentionNorm, c.RmsNormEps, h);
                backend.MatMul(h, w.GateUpProjection!, w.GateUpBias, gateUp);
                backend.SwiGlu(gateUp, gate);
                backend.MatMul(gate, w.DownProjection!, w.DownBias, o);
                backend.Add(x, o);
            }, repeats);
            return new RingStepMeasurement(rows, attention, layer * c.NumHiddenLayers / rows);
        }
        finally
        {
            foreach (var t in owned)
            {
                t.Dispose();
            }
        }
    }

    private DeviceTensor Positions(IReadOnlyList<int> positions)
    {
        var tensor = backend.Allocate(positions.Count, 1, DType.I32);
        backend.Upload(positions.ToArray(), tensor);
        return tensor;
    }
}
