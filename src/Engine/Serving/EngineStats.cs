namespace InferMesh.Engine.Serving;

/// <summary>A snapshot of an engine's counters, for routing, metrics and tests.</summary>
public sealed record EngineStats
{
    public int RunningSequences { get; init; }

    public int WaitingSequences { get; init; }

    public int TotalKvBlocks { get; init; }

    public int UsedKvBlocks { get; init; }

    public int CachedKvBlocks { get; init; }

    public int FreeKvBlocks => TotalKvBlocks - UsedKvBlocks;

    /// <summary>Prompt tokens whose KV the engine computed (prefill work done).</summary>
    public long PrefillTokensComputed { get; init; }

    /// <summary>Prompt tokens served from the prefix cache or a resident session.</summary>
    public long PrefillTokensReused { get; init; }

    public long GeneratedTokens { get; init; }

    public long PrefixCacheQueries { get; init; }

    public long PrefixCacheHits { get; init; }

    public long Preemptions { get; init; }

    public long Steps { get; init; }

    /// <summary>Conversations whose KV stays resident for their next turn.</summary>
    public int ResidentSessions { get; init; }

    /// <summary>Prompt tokens whose KV was imported from a sequence-parallel ring instead of computed here.</summary>
    public long ImportedPrefillTokens { get; init; }
}
