namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// Told of every change to a <see cref="ChunkStore"/>, so a cluster directory can know where chunk caches live. Called
/// on the engine's step loop thread: implementations must return at once (queue the news, never wait on I/O).
/// </summary>
public interface IChunkStoreObserver
{
    /// <summary>A new variant was stored (on the device).</summary>
    void Stored(ChunkVariant variant);

    /// <summary>A variant moved to another tier (<see cref="ChunkKv.Tier"/> is the new one) or was reused (its hits grew).</summary>
    void Changed(ChunkVariant variant);

    /// <summary>A variant left the store: evicted from its last tier, replaced by a newer variant, or removed.</summary>
    void Dropped(ChunkVariant variant);
}
