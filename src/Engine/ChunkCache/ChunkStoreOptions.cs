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

    /// <summary>
    /// Shortest context span recomputed in a reused chunk; shorter planned spans grow to it. Null: 1 — the CPU costs
    /// every row the same wherever it is, and the CUDA backend computes all of a sequence's sparse rows in one flash
    /// launch whatever their positions. A backend whose prefill attention wants long runs of consecutive positions
    /// would raise it.
    /// </summary>
    public int? MinRecomputeRun { get; init; }
}
