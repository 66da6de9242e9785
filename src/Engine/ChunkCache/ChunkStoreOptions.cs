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
    /// Shortest context span recomputed in a reused chunk; shorter planned spans grow to it. On a GPU a run of
    /// consecutive positions is computed by tensor-core prefill attention only from some length on (the CUDA backend:
    /// 64), shorter runs a row at a time over the whole context, so a few long spans cost less than many short ones.
    /// Null: 64 on devices with their own memory (GPUs), 1 on the CPU (where every row costs the same wherever it is).
    /// </summary>
    public int? MinRecomputeRun { get; init; }
}
