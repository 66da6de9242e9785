using InferMesh.Contracts;
using InferMesh.Grains.Engines;

namespace InferMesh.Grains.Shards;

/// <summary>Builds the directory entry of a local engine from its counters.</summary>
internal static class ReplicaLoads
{
    public static ModelReplicaLoad Of(LocalEngine local, string shardKey, string silo)
    {
        var stats = local.Engine.Stats;
        return new ModelReplicaLoad
        {
            Model = local.Model,
            ShardKey = shardKey,
            Silo = silo,
            Device = local.Device,
            MaxContextLength = local.Engine.MaxContextLength,
            RunningSequences = stats.RunningSequences,
            WaitingSequences = stats.WaitingSequences,
            TotalKvBlocks = stats.TotalKvBlocks,
            UsedKvBlocks = stats.UsedKvBlocks,
            PrefixCacheQueries = stats.PrefixCacheQueries,
            PrefixCacheHits = stats.PrefixCacheHits,
            PrefillTokensComputed = stats.PrefillTokensComputed,
            PrefillTokensReused = stats.PrefillTokensReused,
            GeneratedTokens = stats.GeneratedTokens,
            ReportedAt = DateTimeOffset.UtcNow,
            LoadedAtUnixSeconds = local.LoadedAt.ToUnixTimeSeconds(),
        };
    }

    /// <summary>The shard grain key of a local engine on this silo.</summary>
    public static string ShardKeyOf(LocalEngine local, string silo) =>
        new ModelShardKey(local.Model, local.FirstLayer, local.LastLayer, silo, local.Device).ToString();
}
