namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// One stored computation of a chunk: its KV as computed at <see cref="Position"/> after the segments in
/// <see cref="Context"/>, and per-token context-impact scores (the share of each token's attention that went to
/// other chunks — Cache-Craft's measure of how much its KV depends on its neighbours).
/// </summary>
public sealed class ChunkVariant(ulong key, int[] tokens, int position, ulong[] context, float[] scores, ChunkKv kv)
{
    public ulong Key { get; } = key;

    /// <summary>Number given by the store when the variant is added (tells variants of one chunk apart in reports).</summary>
    public long Id { get; set; }

    public int[] Tokens { get; } = tokens;

    public int Position { get; } = position;

    /// <summary>Keys of the segments before the chunk when it was computed (instructions and chunks, in order).</summary>
    public ulong[] Context { get; } = context;

    /// <summary>Per token: fraction of attention mass (mean over layers and heads) spent on other chunks, 0..1.</summary>
    public float[] Scores { get; } = scores;

    public ChunkKv Kv { get; } = kv;

    /// <summary>Whether other chunks preceded it when it was computed (else its scores measured no chunk context).</summary>
    public bool HadChunkContext { get; init; }

    /// <summary>Mean of <see cref="Scores"/>: how much this chunk as a whole depends on its context.</summary>
    public float ContextImpact { get; } = scores.Length == 0 ? 0 : scores.Average();

    public long Hits { get; set; }

    public long LastUsed { get; set; }

    /// <summary>1 when the contexts are identical, else the Jaccard overlap of their segment sets.</summary>
    public double ContextMatch(ReadOnlySpan<ulong> other)
    {
        if (other.SequenceEqual(Context))
        {
            return 1;
        }

        var a = new HashSet<ulong>(Context);
        var b = new HashSet<ulong>(other.ToArray());
        var union = a.Count + b.Count - a.Intersect(b).Count();
        return union == 0 ? 1 : (double)a.Intersect(b).Count() / union;
    }
}
