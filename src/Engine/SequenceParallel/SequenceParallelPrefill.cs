using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Prefill of one prompt split by sequence over a ring of devices. Every member runs the Llama layer stack of
/// <see cref="LlamaModel"/> (transformers' modeling_llama.py) over its own tokens — embedding, RMSNorm, QKV projections,
/// RoPE at the tokens' absolute positions, O projection, SwiGLU MLP — and only attention crosses members, as the
/// <see cref="IRingSchedule"/> decides. Afterwards each member holds the KV of its partition, and the last position's
/// logits come from the member that holds it.
/// </summary>
public sealed class SequenceParallelPrefill : IDisposable
{
    private readonly RingMember[] _members;
    private readonly IRingSchedule _schedule;
    private readonly IRingTransport _transport;
    private readonly DeviceTensor[] _memberInvFreq;
    private readonly float _ropeScaling;

    /// <param name="devices">One (backend, weights) per member; the weights of all layers, loaded on that backend.</param>
    public SequenceParallelPrefill(IReadOnlyList<(IComputeBackend Backend, LlamaWeights Weights)> devices, IReadOnlyList<int> ids, SequencePartition partition, IRingSchedule schedule, IRingTransport transport)
    {
        if (devices.Count != partition.Members || ids.Count != partition.Length)
        {
            throw new ArgumentException($"the partition is for {partition.Members} members and {partition.Length} tokens, but {devices.Count} devices and {ids.Count} ids were given.", nameof(partition));
        }

        Partition = partition;
        _schedule = schedule;
        _transport = transport;
        var maxRows = Enumerable.Range(0, partition.Members).Max(m => partition.Positions(m).Count);
        _members = new RingMember[devices.Count];
        _memberInvFreq = new DeviceTensor[devices.Count];
        var (invFreq, scaling) = RotaryFrequencies.ForCheckpoint(devices[0].Weights.Config);
        _ropeScaling = scaling;
        for (var m = 0; m < devices.Count; m++)
        {
            var (backend, weights) = devices[m];
            var positions = partition.Positions(m);
            _members[m] = new RingMember(m, backend, weights, positions.Select(p => ids[p]).ToArray(), positions, maxRows);
            _memberInvFreq[m] = backend.Allocate(1, invFreq.Length, DType.F32);
            backend.Upload(invFreq, _memberInvFreq[m]);
        }
    }

    public IReadOnlyList<RingMember> Members => _members;

    public SequencePartition Partition { get; }

    public IRingTransport Transport => _transport;

    /// <summary>Runs every layer and returns the logits of the prompt's last position.</summary>
    public float[] Run()
    {
        var config = _members[0].Weights.Config;
        RingPhase.ForEach(_members, m => m.Backend.Embedding(m.Weights.Embedding!, m.Ids, m.Hidden));
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var layer = l;
            RingPhase.ForEach(_members, m =>
            {
                var b = m.Backend;
                var w = m.Weights.Layers[layer];
                b.RmsNorm(m.Hidden, w.InputNorm, config.RmsNormEps, m.Normed);
                b.MatMul(m.Normed, w.QueryProjection, w.QueryBias, m.Queries);
                b.MatMul(m.Normed, w.KeyProjection, w.KeyBias, m.Keys(layer));
                b.MatMul(m.Normed, w.ValueProjection, w.ValueBias, m.Values(layer));
                b.Rope(m.Queries, config.HeadDim, m.Positions, _memberInvFreq[m.Index], _ropeScaling);
                b.Rope(m.Keys(layer), config.HeadDim, m.Positions, _memberInvFreq[m.Index], _ropeScaling);
            });

            _schedule.Attend(_members, l, _transport);

            RingPhase.ForEach(_members, m =>
            {
                var b = m.Backend;
                var w = m.Weights.Layers[layer];
                b.MatMul(m.AttentionOutput, w.OutputProjection, w.OutputBias, m.Projected);
                b.Add(m.Hidden, m.Projected);
                b.RmsNorm(m.Hidden, w.PostAttentionNorm, config.RmsNormEps, m.Normed);
                b.MatMul(m.Normed, w.GateProjection, w.GateBias, m.Gate);
                b.MatMul(m.Normed, w.UpProjection, w.UpBias, m.Up);
                b.SiluMul(m.Gate, m.Up, m.Gate);
                b.MatMul(m.Gate, w.DownProjection, w.DownBias, m.Projected);
                b.Add(m.Hidden, m.Projected);
            });
        }

        return LastLogits(config.RmsNormEps, config.VocabSize);
    }

    private float[] LastLogits(float eps, int vocab)
    {
        var (member, row) = Partition.Locate(Partition.Length - 1);
        var m = _members[member];
        var b = m.Backend;
        using var rowIndex = b.Allocate(1, 1, DType.I32);
        using var last = b.Allocate(1, m.Weights.Config.HiddenSize);
        using var lastNorm = b.Allocate(1, m.Weights.Config.HiddenSize);
        using var logits = b.Allocate(1, vocab, DType.F32);
        b.Upload([row], rowIndex);
        b.GatherRows(m.Hidden, rowIndex, last);
        b.RmsNorm(last, m.Weights.FinalNorm!, eps, lastNorm);
        b.MatMul(lastNorm, m.Weights.LmHead!, null, logits);
        var result = new float[vocab];
        b.Download(logits, result);
        return result;
    }

    public void Dispose()
    {
        foreach (var m in _members)
        {
            m.Dispose();
        }

        foreach (var f in _memberInvFreq)
        {
            f.Dispose();
        }
    }
}
