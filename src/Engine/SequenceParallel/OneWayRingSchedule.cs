namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// The one-way ring baseline (Liu et al., Ring Attention, https://arxiv.org/abs/2310.01889): queries stay, key/value
/// blocks rotate one direction (member i−1 → i), and each member merges its partial result over every visiting block
/// by LSE. Per layer and member i: its own K, V and positions leave first, it attends the local block, then for steps
/// s = 1..N−1 it receives the block of member i−s, passes it on, attends its queries over it and merges. Only one
/// direction of each link carries data.
/// </summary>
public sealed class OneWayRingSchedule : IRingSchedule
{
    public string Name => "one-way ring";

    public async Task AttendAsync(RingMember m, int layer, RingLink link, CancellationToken cancellationToken)
    {
        var n = m.Members;
        var i = m.Index;
        var b = m.Backend;
        var shape = m.Shape(layer);
        var sends = new List<Task>(3 * n);
        var next = (i + 1) % n;
        var previous = (i - 1 + n) % n;
        if (n > 1)
        {
            SendBlock(link, sends, next, layer, 1, m.Keys(layer), m.Values(layer), m.Positions, cancellationToken);
        }

        b.BlockAttention(m.Queries, m.Positions, m.Keys(layer), m.Values(layer), m.Positions, shape, m.AttentionOutput, m.AttentionLse);
        m.CountScorePairs(i, i, shape.SlidingWindow);

        for (var step = 1; step < n; step++)
        {
            var origin = (i - step + n) % n;
            var rows = m.RowsOf(origin);
            var slot = step % 2;
            var keys = m.InboundKeys(slot, rows);
            var values = m.InboundValues(slot, rows);
            var positions = m.InboundKeyPositions(slot, rows);
            link.Store(await link.ReceiveAsync(previous, new RingTag(layer, step, RingPayloadKind.Keys), cancellationToken), keys);
            link.Store(await link.ReceiveAsync(previous, new RingTag(layer, step, RingPayloadKind.Values), cancellationToken), values);
            link.Store(await link.ReceiveAsync(previous, new RingTag(layer, step, RingPayloadKind.KeyPositions), cancellationToken), positions);
            if (step < n - 1)
            {
                SendBlock(link, sends, next, layer, step + 1, keys, values, positions, cancellationToken);
            }

            var output = m.PartialOutput(m.Rows);
            var lse = m.PartialLse(m.Rows);
            b.BlockAttention(m.Queries, m.Positions, keys, values, positions, shape, output, lse);
            m.CountScorePairs(i, origin, shape.SlidingWindow);
            b.MergeAttention(m.AttentionOutput, m.AttentionLse, output, lse);
        }

        await link.WaitAsync(Task.WhenAll(sends));
    }

    private static void SendBlock(RingLink link, List<Task> sends, int to, int layer, int step, Kernels.DeviceTensor keys, Kernels.DeviceTensor values, Kernels.DeviceTensor positions, CancellationToken cancellationToken)
    {
        sends.Add(link.SendAsync(to, new RingTag(layer, step, RingPayloadKind.Keys), keys, cancellationToken));
        sends.Add(link.SendAsync(to, new RingTag(layer, step, RingPayloadKind.Values), values, cancellationToken));
        sends.Add(link.SendAsync(to, new RingTag(layer, step, RingPayloadKind.KeyPositions), positions, cancellationToken));
    }
}
