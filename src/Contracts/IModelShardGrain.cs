namespace InferMesh.Contracts;

/// <summary>
/// Owns the engine (weights and KV pool) of one model shard on one device of one silo. Keyed
/// <c>model/layers first-last/silo/device</c> (see <see cref="ModelShardKey"/>) and pinned to that silo by its
/// placement director: it never activates anywhere else. Calls run concurrently (the engine batches them).
/// </summary>
public interface IModelShardGrain : IGrainWithStringKey
{
    IAsyncEnumerable<ShardTokenEvent> Generate(ShardGenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>Drops the KV the engine keeps for a session.</summary>
    Task ReleaseSession(string sessionKey);

    Task<ModelReplicaLoad> GetLoad();
}
