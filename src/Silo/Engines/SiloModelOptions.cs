namespace InferMesh.Silo.Engines;

/// <summary>What a silo serves (configuration section <c>InferMesh</c>; environment <c>InferMesh__Models__0=/path</c>).</summary>
public sealed class SiloModelOptions
{
    public const string Section = "InferMesh";

    /// <summary>Hugging Face model folders to load; empty loads the embedded default model.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Device names (<c>cpu</c>, <c>cuda:0</c>, ...); empty means every GPU found, else the CPU.</summary>
    public List<string> Devices { get; set; } = [];

    /// <summary>KV blocks per engine; null sizes the pool from free memory.</summary>
    public int? KvCacheBlocks { get; set; }

    /// <summary>CPU threads per engine; null uses every core.</summary>
    public int? CpuThreads { get; set; }

    /// <summary>Longest context (prompt + completion); null is the model's own.</summary>
    public int? MaxContextLength { get; set; }

    /// <summary>Chunk caches (RAG documents' KV) each engine may keep on its device, in bytes; null keeps the engine's default (1 GiB).</summary>
    public long? ChunkCacheDeviceBytes { get; set; }

    /// <summary>Chunk caches each engine may keep in host memory once moved off the device, in bytes; null keeps the default (4 GiB).</summary>
    public long? ChunkCacheHostBytes { get; set; }

    /// <summary>Folder for chunk caches moved off host memory; null drops them instead.</summary>
    public string? ChunkCacheDiskDirectory { get; set; }
}
