namespace InferMesh.Contracts;

/// <summary>One loaded model shard and its load, as its silo last reported it.</summary>
[GenerateSerializer, Immutable]
public sealed record ModelReplicaLoad
{
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

    [Id(0)] public required string Model { get; init; }

    [Id(1)] public required string ShardKey { get; init; }

    [Id(2)] public required string Silo { get; init; }

    [Id(3)] public required string Device { get; init; }

    [Id(4)] public int MaxContextLength { get; init; }

    [Id(5)] public int RunningSequences { get; init; }

    [Id(6)] public int WaitingSequences { get; init; }

    [Id(7)] public int TotalKvBlocks { get; init; }

    [Id(8)] public int UsedKvBlocks { get; init; }

    [Id(9)] public long PrefixCacheQueries { get; init; }

    [Id(10)] public long PrefixCacheHits { get; init; }

    [Id(11)] public long PrefillTokensComputed { get; init; }

    [Id(12)] public long PrefillTokensReused { get; init; }

    [Id(13)] public long GeneratedTokens { get; init; }

    [Id(14)] public DateTimeOffset ReportedAt { get; init; }

    /// <summary>Unix seconds the model was loaded (OpenAI's model.created).</summary>
    [Id(15)] public long LoadedAtUnixSeconds { get; init; }

    public int FreeKvBlocks => TotalKvBlocks - UsedKvBlocks;
}
