namespace InferMesh.Engine.ChunkCache;

/// <summary>Where a chunk's KV lives: on the device next to the KV cache, in host memory, or in a file.</summary>
public enum ChunkTier
{
    Device,
    Host,
    Disk,
}
