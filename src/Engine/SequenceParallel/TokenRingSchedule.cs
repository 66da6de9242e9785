namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// TokenRing (ACA-Lab-SJTU, "TokenRing: An Efficient Parallelism Framework for Infinite-Context LLMs via Bidirectional
/// Communication", https://arxiv.org/abs/2412.20501): keys and values stay where they were computed; query blocks travel
/// one way round the ring (member i−1 → i) while the partial results computed for them (out, LSE) travel back to their
/// owner, so both directions of every link carry data. Per layer and member j: its queries leave first (so the first
/// hop overlaps the local block), then for steps s = 1..N−1 it receives the queries of member j−s, passes them on at
/// once, attends them over its own keys and sends the partial result home; last it merges the N−1 partial results
/// for its own queries by LSE as they come back.
/// </summary>
public sealed class TokenRingSchedule : IRingSchedule
{
    public string Name => "tokenring";

    public async Task AttendAsync(RingMember m, int layer, RingLink link, CancellationToken cancellationToken)
    {
        var n = m.Members;
        var j = m.Index;
        var b = m.Backend;
        var shape = m.Shape(layer);
        var sends = new List<Task>(4 * n);
        var next = (j + 1) % n;
        var previous = (j - 1 + n) % n;
        if (n > 1)
        {
            sends.Add(link.SendAsync(next, new RingTag(layer, 1, RingPayloadKind.Queries), m.Queries, cancellationToken));
            sends.Add(link.SendAsync(next, new RingTag(layer, 1, RingPayloadKind.QueryPositions), m.Positions, cancellationToken));
        }

        b.BlockAttention(m.Queries, m.Positions, m.Keys(layer), m.Values(layer), m.Positions, shape, m.AttentionOutput, m.AttentionLse);
        m.CountScorePairs(j, j, shape.SlidingWindow);

        for (var step = 1; step < n; step++)
        {
            var owner = (j - step + n) % n;
            var rows = m.RowsOf(owner);
            var slot = step % 2;
            var queries = m.InboundQueries(slot, rows);
            var positions = m.InboundQueryPositions(slot, rows);
            link.Store(await link.ReceiveAsync(previous, new RingTag(layer, step, RingPayloadKind.Queries), cancellationToken), queries);
            link.Store(await link.ReceiveAsync(previous, new RingTag(layer, step, RingPayloadKind.QueryPositions), cancellationToken), positions);
            if (step < n - 1)
            {
                // Forward before computing, so the next hop travels while this member attends.
                sends.Add(link.SendAsync(next, new RingTag(layer, step + 1, RingPayloadKind.Queries), queries, cancellationToken));
                sends.Add(link.SendAsync(next, new RingTag(layer, step + 1, RingPayloadKind.QueryPositions), positions, cancellationToken));
            }

            var output = m.PartialOutput(rows);
            var lse = m.PartialLse(rows);
            b.BlockAttention(queries, positions, m.Keys(layer), m.Values(layer), m.Positions, shape, output, lse);
            m.CountScorePairs(owner, j, shape.SlidingWindow);
            sends.Add(link.SendAsync(owner, new RingTag(layer, step, RingPayloadKind.PartialOutput), output, cancellationToken));
            sends.Add(link.SendAsync(owner, new RingTag(layer, step, RingPayloadKind.PartialLse), lse, cancellationToken));
        }

        for (var step = 1; step < n; step++)
        {
            // At step s member j+s held this member's queries.
            var holder = (j + step) % n;
            link.Store(await link.ReceiveAsync(holder, new RingTag(layer, step, RingPayloadKind.PartialOutput), cancellationToken), m.ReturnedOutput);
            link.Store(await link.ReceiveAsync(holder, new RingTag(layer, step, RingPayloadKind.PartialLse), cancellationToken), m.ReturnedLse);
            b.MergeAttention(m.AttentionOutput, m.AttentionLse, m.ReturnedOutput, m.ReturnedLse);
        }

        await link.WaitAsync(Task.WhenAll(sends));
    }
}
