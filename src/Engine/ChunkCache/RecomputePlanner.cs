namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// Decides, per reused chunk, which of its tokens are recomputed (Cache-Craft §4, focused recomputation), as at most
/// two contiguous spans:
/// <list type="bullet">
/// <item>a context span: a share that follows how much the chunk depended on its neighbours when it was computed (its
/// context impact) and how different its new neighbours are, placed where the chunk's tokens attended most to other
/// chunks, and never shorter than <see cref="ChunkReusePolicy.BoundaryTokens"/> (the reach of a chunk's boundary, which
/// does not shrink with the chunk: short chunks get a larger share);</item>
/// <item>a recency span: every token within <see cref="ChunkReusePolicy.RecencyWindow"/> positions (at most a third of
/// the documents) before the end of the last chunk. The question and the answer attend most to the tokens just before them, and a recomputed token next to
/// stale neighbours stays wrong (it attends to them), so the tail of the documents is recomputed whole.</item>
/// </list>
/// Spans rather than scattered tokens: on the trained default model scattered top-scored tokens were no more accurate
/// than a span of the same size (bench/results/cachecraft.md). Either costs the same to compute — the CUDA backend runs
/// all of a sequence's recomputed rows, wherever they are, as one flash-attention launch per layer.
/// </summary>
public static class RecomputePlanner
{
    /// <summary>
    /// Bounds of the impact-based context share of a reused chunk in Cache-Craft mode; the boundary floor
    /// (<see cref="ChunkReusePolicy.BoundaryTokens"/>) may lift a short chunk's share above <see cref="MaxShare"/>.
    /// </summary>
    public const double MinShare = 0.0, MaxShare = 0.15;

    /// <summary>Context impact assumed for a chunk never seen after other chunks, before the store has measured any.</summary>
    public const double DefaultImpact = 0.25;

    /// <summary>
    /// Share of the chunk to recompute for its context (the recency span comes on top). A variant stored with no chunk
    /// before it measured an impact of 0 (nothing else to attend to), which says nothing about how it reads after
    /// other chunks; <paramref name="typicalImpact"/> (the store's mean over variants that had chunks before them)
    /// stands in for it.
    /// </summary>
    public static double Share(ChunkVariant variant, double contextMatch, bool samePosition, ChunkReusePolicy policy, double typicalImpact = DefaultImpact)
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
        var impact = variant.HadChunkContext ? variant.ContextImpact : typicalImpact;
        var share = Math.Clamp(impact * (1 - (0.5 * contextMatch)), MinShare, MaxShare);
        return share > 0 ? Math.Max(share, BoundaryShare(variant.Tokens.Length, policy.BoundaryTokens)) : share;
    }

    /// <summary>The share of an <paramref name="n"/>-token chunk that its first <paramref name="boundaryTokens"/> tokens make up (at most 1).</summary>
    public static double BoundaryShare(int n, int boundaryTokens) => n == 0 ? 0 : Math.Min(1.0, (double)Math.Max(0, boundaryTokens) / n);

    /// <summary>
    /// The contiguous span of ⌈share·n⌉ tokens whose context-impact scores sum highest (earliest on ties); the whole
    /// chunk for a share of 1.
    /// </summary>
    public static (int Start, int Count) Span(ChunkVariant variant, double share) =>
        Span(variant, Count(share, variant.Tokens.Length));

    /// <summary>⌈share·n⌉, immune to the rounding of a share computed as k/n.</summary>
    private static int Count(double share, int n) => (int)Math.Ceiling((share * n) - 1e-9);

    private static (int Start, int Count) Span(ChunkVariant variant, int count)
    {
        var n = variant.Tokens.Length;
        count = Math.Clamp(count, 0, n);
        if (count == 0 || count == n)
        {
            return (0, count);
        }

        var scores = variant.Scores;
        double sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += scores[i];
        }

        var best = sum;
        var bestStart = 0;
        for (var start = 1; start + count <= n; start++)
        {
            sum += scores[start + count - 1] - scores[start - 1];
            if (sum > best + 1e-9)
            {
                best = sum;
                bestStart = start;
            }
        }

        return (bestStart, count);
    }

    /// <summary>The recency window for documents of <paramref name="documentTokens"/> tokens: the policy's, at most a third of them.</summary>
    public static int Window(int policyWindow, int documentTokens) => Math.Min(policyWindow, documentTokens / 3);

    /// <summary>Trailing tokens of a chunk at [start, start+length) that lie within <paramref name="window"/> positions before <paramref name="documentsEnd"/>.</summary>
    public static int RecencyTokens(int start, int length, int documentsEnd, int window) =>
        Math.Clamp(start + length - (documentsEnd - window), 0, length);

    /// <summary>
    /// Offsets (ascending) of a chunk's recomputed tokens: the context span, at least <paramref name="minRun"/> long when
    /// there is one (see <see cref="ChunkStoreOptions.MinRecomputeRun"/>), and the recency tail.
    /// </summary>
    public static int[] Select(ChunkVariant variant, double share, int recencyTokens, int minRun = 1)
    {
        var n = variant.Tokens.Length;
        var wanted = Count(share, n);
        var (start, count) = Span(variant, wanted > 0 ? Math.Max(wanted, minRun) : 0);
        var tail = n - Math.Clamp(recencyTokens, 0, n);
        var offsets = new List<int>(count + n - tail);
        for (var i = start; i < start + count && i < tail; i++)
        {
            offsets.Add(i);
        }

        for (var i = Math.Max(tail, 0); i < n; i++)
        {
            offsets.Add(i);
        }

        return [.. offsets];
    }
}
