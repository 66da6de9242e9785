using InferMesh.Contracts;
using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// Decides whether a session's prompt is prefilled by a sequence-parallel ring and runs it. A prompt goes to a ring
/// when the tokens it must prefill (past the session's resident KV) reach <see cref="ServingOptions.RingPrefillMinTokens"/>
/// and the cluster directory lists other whole-model shards of the model on other silos or devices; the session's
/// own shard is member 0, so the KV is gathered where the turn decodes. A ring that fails is logged and counted and
/// the turn falls back to prefilling on its own device, so the client still gets its answer.
/// </summary>
public sealed partial class RingPrefillRouter(
    ClusterLoadView view,
    IGrainFactory grains,
    IOptions<ServingOptions> options,
    RingPrefillCounters counters,
    ILogger<RingPrefillRouter> logger)
{
    /// <summary>Runs a ring for the prompt when it should; returns the key its KV was imported under, or null to prefill normally.</summary>
    public async Task<string?> TryPrefillAsync(LocalEngine local, string shardKey, IReadOnlyList<int> promptIds, IReadOnlyList<int> residentIds, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var members = Members(local, shardKey, promptIds, residentIds, o);
        if (members is null)
        {
            return null;
        }

        var ring = grains.GetGrain<IPrefillRingGrain>(Guid.NewGuid().ToString("N"));
        try
        {
            var result = await ring.Prefill(new RingPrefillRequest
            {
                TokenIds = promptIds,
                Members = members,
                Schedule = o.RingSchedule,
                ReceiveTimeout = o.RingReceiveTimeout,
                MessageChunkBytes = o.RingMessageChunkBytes,
            }).WaitAsync(cancellationToken);
            counters.Record(result);
            LogRouted(promptIds.Count, members.Count, result.Seconds, result.BytesMoved);
            return result.ImportedPrefixKey;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            counters.RecordFailure(e.Message);
            LogFellBack(promptIds.Count, e.Message);
            return null;
        }
    }

    /// <summary>The ring for this prompt (own shard first), or null when it should be prefilled on one device.</summary>
    internal IReadOnlyList<string>? Members(LocalEngine local, string shardKey, IReadOnlyList<int> promptIds, IReadOnlyList<int> residentIds, ServingOptions o)
    {
        if (o.RingPrefillMinTokens <= 0 || o.RingMaxMembers < 2 || local.FirstLayer != 0)
        {
            return null;
        }

        var resident = 0;
        var limit = Math.Min(promptIds.Count, residentIds.Count);
        while (resident < limit && promptIds[resident] == residentIds[resident])
        {
            resident++;
        }

        if (promptIds.Count - resident < o.RingPrefillMinTokens)
        {
            return null;
        }

        // Other whole-model shards of the same model, freshest report per shard, most free KV first.
        var now = DateTimeOffset.UtcNow;
        var cap = Math.Min(o.RingMaxMembers, promptIds.Count / 2);
        var others = view.Replicas
            .Where(r => string.Equals(r.Model, local.Model, StringComparison.Ordinal) && !string.Equals(r.ShardKey, shardKey, StringComparison.Ordinal) && now - r.ReportedAt < o.RingCandidateStaleAfter)
            .Where(r => IsWholeModel(r.ShardKey, local))
            .GroupBy(r => r.ShardKey, StringComparer.Ordinal)
            .Select(g => g.MaxBy(r => r.ReportedAt)!)
            .OrderByDescending(r => r.FreeKvBlocks)
            .ThenBy(r => r.ShardKey, StringComparer.Ordinal)
            .Take(cap - 1)
            .Select(r => r.ShardKey)
            .ToList();
        return others.Count == 0 ? null : [shardKey, .. others];
    }

    private static bool IsWholeModel(string shardKey, LocalEngine local)
    {
        try
        {
            var key = ModelShardKey.Parse(shardKey);
            return key.FirstLayer == local.FirstLayer && key.LastLayer == local.LastLayer;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Prompt of {Tokens} tokens prefilled by a {Members}-member ring in {Seconds:F3} s ({Bytes} bytes moved)")]
    private partial void LogRouted(int tokens, int members, double seconds, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ring prefill of a {Tokens}-token prompt failed; prefilling on one device instead: {Reason}")]
    private partial void LogFellBack(int tokens, string reason);
}
