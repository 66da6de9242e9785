namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// TokenRing (ACA-Lab-SJTU, "TokenRing: An Efficient Parallelism Framework for Infinite-Context LLMs via Bidirectional
/// Communication", https://arxiv.org/abs/2412.20501): keys and values stay where they were computed; query blocks travel
/// one way round the ring (member i−1 → i) while the partial results computed for them (out, LSE) travel back to their
/// owner, so both directions of every link carry data. Per layer: the local block, then N−1 steps; at step s member
/// j holds the queries of member j−s, attends them over its own keys and returns the partial result, which the owner
/// merges by LSE. Compute phases run on every member at once (<see cref="RingPhase"/>); transfers sit between them.
/// </summary>
public sealed class TokenRingSchedule : IRingSchedule
{
    public string Name => "tokenring";

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

            var currentStep = step;
            RingPhase.ForEach(members, holder =>
            {
                var owner = members[(holder.Index - currentStep + n) % n];
                var rows = owner.Rows;
                holder.Backend.BlockAttention(
                    holder.InboundQueries(slot, rows), holder.InboundQueryPositions(slot, rows), holder.Keys(layer), holder.Values(layer), holder.Positions, holder.Shape(layer),
                    holder.PartialOutput(rows), holder.PartialLse(rows));
                _counter.Charge(holder, owner, holder, holder.Shape(layer).SlidingWindow);
            });

            for (var j = 0; j < n; j++)
            {
                // Backward: the partial result goes home.
                var holder = members[j];
                var owner = members[(j - step + n) % n];
                transport.Transfer(holder, holder.PartialOutput(owner.Rows), owner, owner.ReturnedOutput);
                transport.Transfer(holder, holder.PartialLse(owner.Rows), owner, owner.ReturnedLse);
            }

            RingPhase.ForEach(members, owner => owner.Backend.MergeAttention(owner.AttentionOutput, owner.AttentionLse, owner.ReturnedOutput, owner.ReturnedLse));
        }
    }
}
