namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// Decides which tokens of a reused chunk are recomputed (Cache-Craft §4: focused recomputation). The share follows
/// how much the chunk depended on its neighbours when it was computed (its context impact) and how different its new
/// neighbours are from those; the tokens chosen are those whose attention went most to other chunks.
/// </summary>
public static class RecomputePlanner
{
    /// <summary>Bounds of the recomputed share of a reused chunk in Cache-Craft mode.</summary>
    public const double MinShare = 0.05, MaxShare = 0.6;

    /// <summary>Share of the chunk to recompute.</summary>
    public static double Share(ChunkVariant variant, double contextMatch, bool samePosition, ChunkReusePolicy policy)
    {
        if (policy.Mode == ChunkReuseMode.FixedRatio)
        {
            return Math.Clamp(policy.FixedRatio, 0, 1);
        }

        if (contextMatch >= 1 && samePosition)
        {
            return 0; // the same neighbours at the same place: the stored KV is what a full prefill would compute
        }

        // Impact is the mean share of attention that went to other chunks; a new context invalidates that part.
        var share = 1.5 * variant.ContextImpact * (1 - (0.5 * contextMatch));
        return Math.Clamp(share, MinShare, MaxShare);
    }

    /// <summary>Offsets (ascending) of the <paramref name="share"/> of tokens with the highest context impact.</summary>
    public static int[] Select(ChunkVariant variant, double share)
    {
        var n = variant.Tokens.Length;
        var count = (int)Math.Ceiling(share * n);
        if (count <= 0)
        {
            return [];
        }

        if (count >= n)
        {
            return Enumerable.Range(0, n).ToArray();
        }

        var order = Enumerable.Range(0, n).OrderByDescending(i => variant.Scores[i]).ThenBy(i => i).Take(count).ToArray();
        Array.Sort(order);
        return order;
    }
}
