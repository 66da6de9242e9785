namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// TokenRing (ACA-Lab-SJTU, "TokenRing: An Efficient Parallelism Framework for Infinite-Context LLMs via Bidirectional
/// Communication", https://arxiv.org/abs/2412.20501): keys and values stay where they were computed; query blocks travel
/// one way round the ring (member i−1 → i) while the partial results computed for them (out, LSE) travel back to their
/// owner, so both directions of every link carry data. Per layer: the local block, then N−1 steps; at step s member
/// j holds the queries of member j−s, attends them over its own keys and returns the partial result, which the owner
/// merges by LSE.
/// </summary>
public sealed class TokenRingSchedule : IRingSchedule
{
    public string Name => "tokenring";

    private readonly ScorePairCounter _counter = new();

    public void Attend(IReadOnlyList<RingMember> members, int layer, IRingTransport transport)
    {
        var n = members.Count;
        foreach (var m in members)
        {
            m.Backend.BlockAttention(m.Queries, m.Positions, m.Keys(layer), m.Values(layer), m.Positions, m.Shape(layer), m.AttentionOutput, m.AttentionLse);
            _counter.Charge(m, m, m, m.Shape(layer).SlidingWindow);
        }

        for (var step = 1; step < n; step++)
        {
            var slot = step % 2;
            for (var j = 0; j < n; j++)
            {
                // Forward: member j receives owner's queries from j−1, which got them last step (or owns them).
                var holder = members[j];
                var sender = members[(j - 1 + n) % n];
                var owner = members[(j - step + n) % n];
                var rows = owner.Rows;
                var (queries, positions) = step == 1
                    ? (owner.Queries, owner.Positions)
                    : (sender.InboundQueries(1 - slot, rows), sender.InboundQueryPositions(1 - slot, rows));
                transport.Transfer(sender, queries, holder, holder.InboundQueries(slot, rows));
                transport.Transfer(sender, positions, holder, holder.InboundQueryPositions(slot, rows));
            }

            for (var j = 0; j < n; j++)
            {
                // Backward: the partial result goes home and is merged there.
                var holder = members[j];
                var owner = members[(j - step + n) % n];
                var rows = owner.Rows;
                var output = holder.PartialOutput(rows);
                var lse = holder.PartialLse(rows);
                holder.Backend.BlockAttention(
                    holder.InboundQueries(slot, rows), holder.InboundQueryPositions(slot, rows), holder.Keys(layer), holder.Values(layer), holder.Positions, holder.Shape(layer), output, lse);
                _counter.Charge(holder, owner, holder, holder.Shape(layer).SlidingWindow);
                transport.Transfer(holder, output, owner, owner.ReturnedOutput);
                transport.Transfer(holder, lse, owner, owner.ReturnedLse);
                owner.Backend.MergeAttention(owner.AttentionOutput, owner.AttentionLse, owner.ReturnedOutput, owner.ReturnedLse);
            }
        }
    }
}
