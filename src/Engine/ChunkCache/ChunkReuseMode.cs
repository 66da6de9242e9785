namespace InferMesh.Engine.ChunkCache;

/// <summary>How a segmented (RAG) prompt is prefilled; the baselines exist so the benchmark can compare.</summary>
public enum ChunkReuseMode
{
    /// <summary>Prefix caching only: reuse exactly matching leading blocks, compute the rest.</summary>
    PrefixCaching,

    /// <summary>Compute every token (no prefix cache, no chunk reuse): the quality reference.</summary>
    FullRecompute,

    /// <summary>Cache-Craft: reuse chunk KV anywhere, re-rotate keys, recompute the context-sensitive tokens per chunk.</summary>
    CacheCraft,

    /// <summary>Ablation: reuse chunk KV but recompute one fixed fraction of every reused chunk (as a span where its scores are highest), plus the recency window.</summary>
    FixedRatio,
}
