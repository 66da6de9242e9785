namespace InferMesh.Grains.ChunkCache;

/// <summary>A registered chunk's stored state (grain storage <see cref="StorageNames.Chunks"/>, state name "chunk").</summary>
[GenerateSerializer]
public sealed class ChunkRegistration
{
    /// <summary>The chunk's text; null when it is not registered.</summary>
    [Id(0)] public string? Text { get; set; }

    [Id(1)] public DateTimeOffset? RegisteredAt { get; set; }
}
