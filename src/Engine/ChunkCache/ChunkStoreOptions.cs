namespace InferMesh.Engine.ChunkCache;

/// <summary>Memory budgets and limits of an engine's chunk store (all configuration, all reported in stats).</summary>
public sealed record ChunkStoreOptions
{
    public long DeviceBytes { get; init; } = 1L << 30;

    public long HostBytes { get; init; } = 4L << 30;

    /// <summary>Folder for the disk tier; null disables it (chunks leaving host memory are dropped).</summary>
    public string? DiskDirectory { get; init; }

    public long DiskBytes { get; init; } = 16L << 30;

    /// <summary>Variants kept per chunk (the same chunk computed in different contexts).</summary>
    public int MaxVariantsPerChunk { get; init; } = 3;

    /// <summary>Chunks shorter than this are not worth storing.</summary>
    public int MinChunkTokens { get; init; } = 16;
}
