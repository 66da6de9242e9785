namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// The one-way ring baseline (Liu et al., Ring Attention, https://arxiv.org/abs/2310.01889): queries stay, key/value
/// blocks rotate one direction (member i−1 → i), and each member merges its partial result over every visiting block
/// by LSE. Per layer: the local block, then N−1 steps each moving every member's K, V and positions one hop; only one
/// direction of each link carries data. Compute phases run on every member at once (<see cref="RingPhase"/>).
/// </summary>
public sealed class OneWayRingSchedule : IRingSchedule
{
    public string Name => "one-way ring";

    private readonly ScorePairCounter _counter = new();

    public void Attend(IReadOnlyList<RingMember> members, int layer, IRingTransport transport)
    {
        var n = members.Count;
        RingPhase.ForEach(members, m =>
        {
            m.Backend.BlockAttention(m.Queries, m.Positions, m.Keys(layer), m.Values(layer), m.Positions, m.Shape(layer), m.AttentionOutput, m.AttentionLse);
            _counter.Charge(m, m, m, m.Shape(layer).SlidingWindow);
        });

        for (var step = 1; step < n; step++)
        {
            var slot = step % 2;
            for (var i = 0; i < n; i++)
            {
                var receiver = members[i];
                var sender = members[(i - 1 + n) % n];
                var origin = members[(i - step + n) % n];
                var rows = origin.Rows;
                var (keys, values, positions) = step == 1
                    ? (origin.Keys(layer), origin.Values(layer), origin.Positions)
                    : (sender.InboundKeys(1 - slot, rows), sender.InboundValues(1 - slot, rows), sender.InboundKeyPositions(1 - slot, rows));
                transport.Transfer(sender, keys, receiver, receiver.InboundKeys(slot, rows));
                transport.Transfer(sender, values, receiver, receiver.InboundValues(slot, rows));
                transport.Transfer(sender, positions, receiver, receiver.InboundKeyPositions(slot, rows));
            }

            var currentStep = step;
            RingPhase.ForEach(members, m =>
            {
                var origin = members[(m.Index - currentStep + n) % n];
                var rows = origin.Rows;
                var output = m.PartialOutput(m.Rows);
                var lse = m.PartialLse(m.Rows);
                m.Backend.BlockAttention(
                    m.Queries, m.Positions, m.InboundKeys(slot, rows), m.InboundValues(slot, rows), m.InboundKeyPositions(slot, rows), m.Shape(layer), output, lse);
                _counter.Charge(m, m, origin, m.Shape(layer).SlidingWindow);
                m.Backend.MergeAttention(m.AttentionOutput, m.AttentionLse, output, lse);
            });
        }
    }
}
