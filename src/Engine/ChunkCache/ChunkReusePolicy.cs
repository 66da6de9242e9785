namespace InferMesh.Engine.ChunkCache;

/// <summary>Per-request chunk reuse settings.</summary>
public sealed record ChunkReusePolicy
{
    public static ChunkReusePolicy Default { get; } = new();

    public ChunkReuseMode Mode { get; init; } = ChunkReuseMode.CacheCraft;

    /// <summary>Recomputed share of each reused chunk in <see cref="ChunkReuseMode.FixedRatio"/> mode (0..1).</summary>
    public double FixedRatio { get; init; } = 0.15;

    /// <summary>
    /// Positions before the end of the last chunk whose tokens are always recomputed (Cache-Craft and fixed-ratio
    /// modes): what the question reads most (see <see cref="RecomputePlanner"/>). Never more than a third of the
    /// documents, so short documents are still mostly reused. 0 recomputes only planned spans.
    /// </summary>
    public int RecencyWindow { get; init; } = 256;

    /// <summary>
    /// Fewest tokens of a reused chunk's context span in Cache-Craft mode whenever any of it is recomputed: a chunk's
    /// first tokens attend across its boundary, and on the trained default model that reach is about 20 tokens whatever
    /// the chunk's length (their share of attention outside the chunk falls from ~0.8 at the first token to ~0.2 by the
    /// 20th), so a short chunk's share alone would leave part of it stale. This sets the span's length only; the span
    /// is still placed where the chunk's tokens attended most outside it (often, not always, its start). Chunks of 134
    /// tokens or more already get at least this many from their share (0.15). Tuned on one small trained model; 0
    /// turns it off.
    /// </summary>
    public int BoundaryTokens { get; init; } = 20;

    /// <summary>Store the KV of chunks computed by this request for later reuse.</summary>
    public bool StoreChunks { get; init; } = true;
}
