using InferMesh.Contracts;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace InferMesh.Grains.ChunkCache;

/// <summary>
/// The directory entry of one chunk (see <see cref="IChunkCacheGrain"/>). The registration is stored; the copies are
/// soft state rebuilt from silo reports, each copy replaced whole by its engine's newer report. Copies of silos the
/// membership declared dead are dropped when read, and copies of silos not active are never handed out, so a dead
/// silo cannot attract routing.
/// </summary>
public sealed partial class ChunkCacheGrain(
    [PersistentState("chunk", StorageNames.Chunks)] IPersistentState<ChunkRegistration> registration,
    IClusterMembershipService membership,
    ILogger<ChunkCacheGrain> logger) : Grain, IChunkCacheGrain
{
    private readonly Dictionary<string, (ChunkCopy Copy, long Version)> _copies = new(StringComparer.Ordinal);
    private long _requests;
    private long _retiredHits;
    private int? _tokens;

    private ChunkKey Key => ChunkKey.Parse(this.GetPrimaryKeyString());

    public async Task<ChunkInfo> Register(string text)
    {
        if (ChunkKey.HashOf(Key.Model, text) != Key.Hash)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"the text does not hash to chunk '{Key.Id}' of model '{Key.Model}'");
        }

        if (registration.State.Text is null)
        {
            registration.State.Text = text;
            registration.State.RegisteredAt = DateTimeOffset.UtcNow;
            await registration.WriteStateAsync();
        }

        return Info();
    }

    public Task<ChunkInfo> Get() => Task.FromResult(Info());

    public Task<ChunkInfo> Lookup()
    {
        _requests++;
        return Task.FromResult(Info());
    }

    public Task Report(ChunkCopy copy, long version)
    {
        var old = _copies.GetValueOrDefault(copy.ShardKey);
        if (old.Copy is not null && old.Version >= version)
        {
            return Task.CompletedTask; // an older report overtaken by a newer one
        }

        if (old.Copy is not null)
        {
            var kept = copy.Variants.Select(v => v.VariantId).ToHashSet();
            _retiredHits += old.Copy.Variants.Where(v => !kept.Contains(v.VariantId)).Sum(v => v.Hits);
        }

        _copies[copy.ShardKey] = (copy, version);
        if (copy.Variants.Count > 0)
        {
            _tokens = copy.Variants[0].Tokens;
        }

        return Task.CompletedTask;
    }

    public async Task<bool> Remove()
    {
        var removed = registration.State.Text is not null;
        if (removed)
        {
            await registration.ClearStateAsync();
            registration.State = new ChunkRegistration();
        }

        foreach (var copy in LiveCopies())
        {
            try
            {
                removed |= await GrainFactory.GetGrain<IChunkReplicaGrain>(copy.ShardKey).Remove(copy.EngineKey);
            }
            catch (Exception ex)
            {
                // The engine's silo is leaving (or its engine is gone): its copy goes with it.
                LogRemoveFailed(Key.Id, copy.Silo, ex.GetType().Name, ex.Message);
            }

            _copies[copy.ShardKey] = (copy with { Variants = [] }, _copies[copy.ShardKey].Version);
        }

        return removed;
    }

    private ChunkInfo Info()
    {
        var copies = LiveCopies();
        return new ChunkInfo
        {
            Key = Key,
            Registered = registration.State.Text is not null,
            Text = registration.State.Text,
            Tokens = _tokens,
            RegisteredAt = registration.State.RegisteredAt,
            Copies = copies,
            Requests = _requests,
            Hits = _retiredHits + _copies.Values.Sum(c => c.Copy.Variants.Sum(v => v.Hits)),
        };
    }

    /// <summary>Copies with variants on active silos; entries of dead silos and empty ones are forgotten.</summary>
    private List<ChunkCopy> LiveCopies()
    {
        var members = membership.CurrentSnapshot;
        var live = new List<ChunkCopy>();
        foreach (var (shardKey, (copy, _)) in _copies.ToArray())
        {
            var status = members.GetSiloStatus(SiloAddress.FromParsableString(copy.Silo));
            if (status == SiloStatus.Dead || copy.Variants.Count == 0)
            {
                _retiredHits += copy.Variants.Sum(v => v.Hits);
                _copies.Remove(shardKey);
            }
            else if (status == SiloStatus.Active)
            {
                live.Add(copy);
            }
        }

        return live;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove chunk {ChunkId} from silo {Silo} ({Error}: {Message})")]
    private partial void LogRemoveFailed(string chunkId, string silo, string error, string message);
}
