using System.Threading.Channels;
using InferMesh.Contracts;
using InferMesh.Engine.ChunkCache;

namespace InferMesh.Grains.ChunkCache;

/// <summary>
/// Turns one engine's chunk store changes into <see cref="ChunkEvent"/>s for <see cref="ChunkReporter"/>. Runs on the
/// engine's step loop thread, so it only looks keys up and queues (never waits): the decode step is never held up.
/// </summary>
internal sealed class EngineChunkObserver(string shardKey, string device, ChunkKeyIndex index, ChannelWriter<ChunkEvent> events) : IChunkStoreObserver
{
    public void Stored(ChunkVariant variant)
    {
        if (index.OnStored(variant.Key) is { } key)
        {
            events.TryWrite(new ChunkEvent(shardKey, device, key, variant.Key, variant.Id, Describe(variant)));
        }
    }

    public void Changed(ChunkVariant variant)
    {
        if (index.Resolve(variant.Key) is { } key)
        {
            events.TryWrite(new ChunkEvent(shardKey, device, key, variant.Key, variant.Id, Describe(variant)));
        }
    }

    public void Dropped(ChunkVariant variant)
    {
        if (index.OnDropped(variant.Key) is { } key)
        {
            events.TryWrite(new ChunkEvent(shardKey, device, key, variant.Key, variant.Id, null));
        }
    }

    private ChunkVariantInfo Describe(ChunkVariant v)
    {
        var preceding = new List<string>();
        foreach (var engineKey in v.Context)
        {
            if (index.Resolve(engineKey) is { } key)
            {
                preceding.Add(ChunkKey.Parse(key).Id);
            }
        }

        var tier = v.Kv.Tier switch
        {
            ChunkTier.Device => ChunkCacheTier.Device,
            ChunkTier.Host => ChunkCacheTier.Host,
            _ => ChunkCacheTier.Disk,
        };
        return new ChunkVariantInfo(v.Id, v.Position, v.Tokens.Length, tier, ContextId(v.Context), preceding, v.Hits);
    }

    /// <summary>FNV-1a over the context's segment keys: equal contexts, equal ids.</summary>
    private static ulong ContextId(ulong[] context)
    {
        var h = 14695981039346656037UL;
        foreach (var k in context)
        {
            h = (h ^ k) * 1099511628211UL;
        }

        return h;
    }
}
