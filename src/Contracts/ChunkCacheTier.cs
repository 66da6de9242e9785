namespace InferMesh.Contracts;

/// <summary>Where an engine keeps a chunk's KV: next to its KV cache on the device, in host memory, or on disk (slowest last).</summary>
public enum ChunkCacheTier
{
    Device,
    Host,
    Disk,
}
