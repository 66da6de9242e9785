using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// What one ring member runs, on its own, wherever it lives: the layer stack of <see cref="Model.LlamaModel"/> over its
/// own tokens — embedding, QKV projections, RoPE at the tokens' absolute positions, O projection, and the rest of each
/// layer through the same <see cref="Model.DecoderBlocks"/> the engine uses — with attention done by its part of
/// the <see cref="IRingSchedule"/>, exchanging blocks through its <see cref="RingLink"/>. Afterwards it holds the KV
/// of its partition; the member holding the prompt's last position also returns that position's logits. For decode,
/// the KV is then gathered to one member (<paramref name="gatherTo"/>): the others send each layer's keys and values
/// as soon as they are computed, so the gather travels while the prefill computes.
/// </summary>
public sealed class RingMemberLoop(RingMember member, IRingSchedule schedule, int? gatherTo = null)
{
    public RingMember Member => member;

    /// <summary>Runs every layer; returns the last position's logits on the member that holds it, else null.</summary>
    public async Task<float[]?> PrefillAsync(RingLink link, CancellationToken cancellationToken)
    {
        var m = member;
        var b = m.Backend;
        var config = m.Weights.Config;
        var sendKv = gatherTo is { } target && target != m.Index;
        var gatherSends = new List<Task>(sendKv ? 2 * config.NumHiddenLayers : 0);
        m.Blocks.Embed(m.Ids, m.Hidden, m.Normed);
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var w = m.Weights.Layers[l];
            w.ProjectQkv(b, m.Normed, m.Qkv, config);
            var (invFreq, ropeScaling) = m.Blocks.Rotary.For(w);
            b.RopeWriteQkv(m.Qkv, config.HeadDim, m.Positions, invFreq, ropeScaling, m.Queries, m.Keys(l), m.Values(l), m.OwnRows);
            if (sendKv)
            {
                gatherSends.Add(link.SendAsync(gatherTo!.Value, new RingTag(l, 0, RingPayloadKind.GatherKeys), m.Keys(l), cancellationToken));
                gatherSends.Add(link.SendAsync(gatherTo!.Value, new RingTag(l, 0, RingPayloadKind.GatherValues), m.Values(l), cancellationToken));
            }

            await schedule.AttendAsync(m, l, link, cancellationToken);

            b.MatMul(m.AttentionOutput, w.OutputProjection, w.OutputBias, m.Projected);
            m.Blocks.AfterAttention(l, m.Projected, m.Hidden, m.Normed);
        }

        await link.WaitAsync(Task.WhenAll(gatherSends));
        var (holder, row) = m.Partition.Locate(m.Partition.Length - 1);
        return holder == m.Index ? LastLogits(row) : null;
    }

    /// <summary>
    /// On the member named by gatherTo, after <see cref="PrefillAsync"/>: writes its own KV rows and every other
    /// member's (as they arrive) into <paramref name="sink"/> at their prompt positions.
    /// </summary>
    public async Task GatherAsync(RingLink link, IRingKvSink sink, CancellationToken cancellationToken)
    {
        var m = member;
        if (gatherTo != m.Index)
        {
            throw new InvalidOperationException($"ring member {m.Index} gathers nothing: the KV goes to member {gatherTo?.ToString() ?? "(none)"}.");
        }

        for (var l = 0; l < m.Weights.Config.NumHiddenLayers; l++)
        {
            sink.Write(l, m.Keys(l), m.Values(l), m.PositionList);
        }

        for (var other = 0; other < m.Members; other++)
        {
            if (other == m.Index)
            {
                continue;
            }

            var rows = m.RowsOf(other);
            var keys = m.InboundKeys(0, rows);
            var values = m.InboundValues(0, rows);
            for (var l = 0; l < m.Weights.Config.NumHiddenLayers; l++)
            {
                link.Store(await link.ReceiveAsync(other, new RingTag(l, 0, RingPayloadKind.GatherKeys), cancellationToken), keys);
                link.Store(await link.ReceiveAsync(other, new RingTag(l, 0, RingPayloadKind.GatherValues), cancellationToken), values);
                sink.Write(l, keys, values, m.Partition.Positions(other));
            }
        }
    }

    private float[] LastLogits(int row)
    {
        var m = member;
        var b = m.Backend;
        var config = m.Weights.Config;
        using var rowIndex = b.Allocate(1, 1, DType.I32);
        using var last = b.Allocate(1, config.HiddenSize);
        using var lastNorm = b.Allocate(1, config.HiddenSize);
        using var logits = b.Allocate(1, config.VocabSize, DType.F32);
        b.Upload([row], rowIndex);
        b.GatherRows(m.Hidden, rowIndex, last);
        m.Blocks.Logits(last, lastNorm, logits);
        var result = new float[config.VocabSize];
        b.Download(logits, result);
        return result;
    }
}
