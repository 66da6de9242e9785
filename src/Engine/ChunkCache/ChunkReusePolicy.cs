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

    /// <summary>Store the KV of chunks computed by this request for later reuse.</summary>
    public bool StoreChunks { get; init; } = true;
}
