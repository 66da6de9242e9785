namespace InferMesh.Engine.KvCache;

/// <summary>
/// The pool of KV blocks of one engine: reference counts, content-hash prefix sharing, and LRU eviction of
/// published blocks nobody references. A block is in exactly one state:
/// free (never used or evicted), used (RefCount &gt; 0), or cached (RefCount 0, published, evictable, in LRU order).
/// Not thread-safe: the engine's step loop owns it.
/// </summary>
public sealed class BlockAllocator
{
    private readonly KvBlock[] _blocks;
    private readonly Stack<int> _free = new();
    private readonly Dictionary<ulong, KvBlock> _byHash = new();
    private readonly LinkedList<KvBlock> _lru = new();

    public BlockAllocator(int blockCount, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        BlockSize = blockSize;
        _blocks = new KvBlock[blockCount];
        for (var i = blockCount - 1; i >= 0; i--)
        {
            _blocks[i] = new KvBlock(i, blockSize);
            _free.Push(i);
        }
    }

    public int BlockSize { get; }

    public int TotalBlocks => _blocks.Length;

    /// <summary>Blocks referenced by at least one sequence.</summary>
    public int UsedBlocks => _blocks.Length - _free.Count - _lru.Count;

    /// <summary>Published blocks nobody references: reusable by a prefix hit, evicted when space is needed.</summary>
    public int CachedBlocks => _lru.Count;

    /// <summary>Blocks an allocation can take now (free plus evictable).</summary>
    public int AvailableBlocks => _free.Count + _lru.Count;

    public long Evictions { get; private set; }

    /// <summary>Takes a block for new content: a free one first, else the least recently used cached one.</summary>
    public int Allocate()
    {
        KvBlock block;
        if (_free.Count > 0)
        {
            block = _blocks[_free.Pop()];
        }
        else if (_lru.First is { } oldest)
        {
            block = oldest.Value;
            RemoveFromLru(block);
            _byHash.Remove(block.Hash);
            block.Hash = 0;
            Evictions++;
        }
        else
        {
            throw new InvalidOperationException("KV cache is full: no free or evictable block (the scheduler must check AvailableBlocks first).");
        }

        block.RefCount = 1;
        return block.Id;
    }

    /// <summary>Adds a reference to a block another sequence already holds (forks, shared prefixes).</summary>
    public void AddReference(int blockId)
    {
        var block = _blocks[blockId];
        if (block.RefCount == 0)
        {
            throw new InvalidOperationException($"block {blockId} is not in use; take cached blocks through TryReuse.");
        }

        block.RefCount++;
    }

    /// <summary>Drops one reference; an unreferenced block becomes cached (if published) or free.</summary>
    public void Release(int blockId)
    {
        var block = _blocks[blockId];
        if (block.RefCount <= 0)
        {
            throw new InvalidOperationException($"block {blockId} released more often than referenced.");
        }

        if (--block.RefCount > 0)
        {
            return;
        }

        if (block.IsPublished)
        {
            block.LruNode = _lru.AddLast(block);
        }
        else
        {
            _free.Push(block.Id);
        }
    }

    /// <summary>
    /// Looks up a full block by its chained hash and verifies its tokens; on a hit the caller gets a reference.
    /// </summary>
    public bool TryReuse(ulong hash, ReadOnlySpan<int> tokens, out int blockId)
    {
        blockId = -1;
        if (!_byHash.TryGetValue(hash, out var block) || !tokens.SequenceEqual(block.Tokens))
        {
            return false;
        }

        if (block.RefCount == 0)
        {
            RemoveFromLru(block);
        }

        block.RefCount++;
        blockId = block.Id;
        return true;
    }

    /// <summary>
    /// Takes cached full blocks for <paramref name="tokens"/> from block <paramref name="firstBlock"/> on, following the
    /// hash chain from <paramref name="parentHash"/>, stopping at the first miss or before a block would reach
    /// <paramref name="tokenLimit"/>. Appends the block ids to <paramref name="into"/>; returns how many were taken.
    /// </summary>
    public int ReusePrefix(ReadOnlySpan<int> tokens, int firstBlock, int tokenLimit, ref ulong parentHash, List<int> into)
    {
        var taken = 0;
        for (var b = firstBlock; (b + 1) * BlockSize < tokenLimit; b++)
        {
            var block = tokens.Slice(b * BlockSize, BlockSize);
            var hash = BlockHash.Of(parentHash, block);
            if (!TryReuse(hash, block, out var id))
            {
                break;
            }

            into.Add(id);
            parentHash = hash;
            taken++;
        }

        return taken;
    }

    /// <summary>Whether a full block with this hash and these tokens is cached (no reference taken).</summary>
    public bool Contains(ulong hash, ReadOnlySpan<int> tokens) =>
        _byHash.TryGetValue(hash, out var block) && tokens.SequenceEqual(block.Tokens);

    /// <summary>Registers a block whose KV now holds exactly <paramref name="tokens"/> after the given prefix hash.</summary>
    public void Publish(int blockId, ulong hash, ReadOnlySpan<int> tokens)
    {
        var block = _blocks[blockId];
        if (block.IsPublished || tokens.Length != BlockSize)
        {
            return;
        }

        if (_byHash.ContainsKey(hash))
        {
            return; // another block already caches this content; this one stays private
        }

        tokens.CopyTo(block.Tokens);
        block.Hash = hash;
        _byHash[hash] = block;
    }

    /// <summary>
    /// Makes a block private again before its content is overwritten (a session rewinding into its last block).
    /// Only valid for a block the caller holds alone.
    /// </summary>
    public void Unpublish(int blockId)
    {
        var block = _blocks[blockId];
        if (!block.IsPublished)
        {
            return;
        }

        _byHash.Remove(block.Hash);
        block.Hash = 0;
    }

    public int ReferenceCount(int blockId) => _blocks[blockId].RefCount;

    private void RemoveFromLru(KvBlock block)
    {
        _lru.Remove(block.LruNode!);
        block.LruNode = null;
    }
}
