namespace InferMesh.Contracts;

/// <summary>
/// The chunk store of one engine (a model replica on one device of one silo), keyed like its shard grain
/// (<see cref="ModelShardKey"/>) and pinned to that silo the same way.
/// </summary>
public interface IChunkReplicaGrain : IGrainWithStringKey
{
    /// <summary>Drops every variant of the chunk with this engine key; false when the engine held none.</summary>
    Task<bool> Remove(ulong engineKey);
}
