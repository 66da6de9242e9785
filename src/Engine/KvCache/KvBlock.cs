namespace InferMesh.Engine.KvCache;

/// <summary>
/// Bookkeeping of one physical KV block (the KV tensors themselves live in <see cref="KvCachePool"/>).
/// A block is <i>published</i> once it is full: its content hash (chained over all earlier blocks of the sequence)
/// lets other sequences with the same prefix share it. The token ids are kept to verify a hash hit.
/// </summary>
internal sealed class KvBlock(int id, int blockSize)
{
    public int Id { get; } = id;

    public int RefCount { get; set; }

    /// <summary>Chained content hash, or 0 while the block is not published.</summary>
    public ulong Hash { get; set; }

    public bool IsPublished => Hash != 0;

    /// <summary>Token ids whose KV the block holds once published (verifies hash hits).</summary>
    public int[] Tokens { get; } = new int[blockSize];

    /// <summary>Position in the LRU list of evictable blocks, when unreferenced and published.</summary>
    public LinkedListNode<KvBlock>? LruNode { get; set; }
}
