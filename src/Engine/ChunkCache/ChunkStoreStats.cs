namespace InferMesh.Engine.ChunkCache;

/// <summary>Accounting of a chunk store for metrics and benchmarks.</summary>
public sealed record ChunkStoreStats(int Chunks, int Variants, long DeviceBytes, long HostBytes, long DiskBytes, long Lookups, long Hits, long Evictions, long TokensReused, long TokensRecomputed);
