using InferMesh.Contracts;
using InferMesh.Engine.Serving;
using InferMesh.Grains.Engines;
using InferMesh.Grains.Shards;
using Orleans.Concurrency;

namespace InferMesh.Grains.ChunkCache;

/// <summary>
/// The chunk store of one engine of this silo (see <see cref="IChunkReplicaGrain"/>); placed, like the engine's
/// shard grain, on the silo its key names.
/// </summary>
[Reentrant]
[ShardPlacement]
public sealed class ChunkReplicaGrain(LocalEngines engines) : Grain, IChunkReplicaGrain
{
    public async Task<bool> Remove(ulong engineKey)
    {
        var key = ModelShardKey.Parse(this.GetPrimaryKeyString());
        var local = engines.Find(key.Model, key.Device)
            ?? throw new InferenceException(InferenceErrorKind.Unavailable, $"this silo has no engine for model '{key.Model}' on {key.Device}");
        return local.Engine is InferenceEngine engine && await engine.RemoveChunkAsync(engineKey);
    }
}
