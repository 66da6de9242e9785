namespace InferMesh.Contracts;

/// <summary>
/// The cluster-wide directory entry of one chunk, keyed <c>model/namespace/hash</c> (see <see cref="ChunkKey"/>):
/// where engines hold its KV (silo, device, tier, variants), its registration and its hit statistics. Engines report
/// their copies as they store, move, reuse and drop them (in the background, coalesced per chunk); copies on silos
/// the cluster declared dead are dropped, so they never attract routing. The registration is kept in grain storage;
/// copies are soft state that every silo refreshes periodically, so an entry that lost its activation is whole again.
/// </summary>
public interface IChunkCacheGrain : IGrainWithStringKey
{
    /// <summary>Registers the chunk's text (idempotent).</summary>
    Task<ChunkInfo> Register(string text);

    /// <summary>The entry as it stands.</summary>
    Task<ChunkInfo> Get();

    /// <summary>The entry for a chat request that names the chunk (counted in <see cref="ChunkInfo.Requests"/>).</summary>
    Task<ChunkInfo> Lookup();

    /// <summary>What one engine holds of the chunk now; reports older than the last one seen from that engine are ignored.</summary>
    Task Report(ChunkCopy copy, long version);

    /// <summary>Forgets the registration and removes the chunk's KV from every engine holding it; false when there was neither.</summary>
    Task<bool> Remove();
}
