using InferMesh.Contracts;

namespace InferMesh.Grains.ChunkCache;

/// <summary>A change to one variant of a chunk in one engine of this silo, on its way to the chunk directory.</summary>
/// <param name="ShardKey">The engine's shard key.</param>
/// <param name="Device">The engine's device.</param>
/// <param name="ChunkKey">The chunk's directory key.</param>
/// <param name="EngineKey">The engine's key of the chunk.</param>
/// <param name="Variant">The variant as it is now; null when it was dropped.</param>
/// <param name="VariantId">The variant's number in its engine.</param>
internal sealed record ChunkEvent(string ShardKey, string Device, string ChunkKey, ulong EngineKey, long VariantId, ChunkVariantInfo? Variant);
