namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Counts the visible score pairs of each (query member, key member, window) block once and charges them to the
/// member that computes the block, so a ring's per-member attention work is recorded without per-layer host work.
/// Members charge from their own threads (<see cref="RingPhase"/>), so the cache is locked.
/// </summary>
internal sealed class ScorePairCounter
{
    private readonly Dictionary<(RingMember Queries, RingMember Keys, int Window), long> _pairs = [];
    private readonly Lock _lock = new();

    public void Charge(RingMember computer, RingMember queryOwner, RingMember keyOwner, int window)
    {
        var key = (queryOwner, keyOwner, window);
        long pairs;
        lock (_lock)
        {
            if (!_pairs.TryGetValue(key, out pairs))
            {
                pairs = SequencePartition.VisiblePairs(queryOwner.PositionList, keyOwner.PositionList, window);
                _pairs[key] = pairs;
            }
        }

        computer.CountScorePairs(pairs);
    }
}
