namespace InferMesh.Engine.KvCache;

/// <summary>
/// Content hash of a full KV block, chained with the hash of the block before it, so equal hashes mean equal
/// prefixes (as in vLLM's automatic prefix caching). 64-bit FNV-1a over (parent, token ids); hits are verified
/// against the stored token ids, so a collision can only cost a cache miss, never stale KV.
/// </summary>
public static class BlockHash
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Of(ulong parent, ReadOnlySpan<int> tokens)
    {
        var h = Offset;
        h = Mix(h, parent);
        foreach (var t in tokens)
        {
            h = Mix(h, (ulong)(uint)t);
        }

        return h == 0 ? 1 : h; // 0 means "not published"
    }

    private static ulong Mix(ulong h, ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            h ^= (value >> (i * 8)) & 0xFF;
            h *= Prime;
        }

        return h;
    }
}
