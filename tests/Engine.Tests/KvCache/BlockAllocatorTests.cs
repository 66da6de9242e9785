using InferMesh.Engine.KvCache;

namespace InferMesh.Engine.Tests.KvCache;

public sealed class BlockAllocatorTests
{
    private static readonly int[] BlockA = [1, 2, 3, 4];
    private static readonly int[] BlockB = [5, 6, 7, 8];

    [Fact]
    public void Fresh_pool_has_every_block_free()
    {
        var pool = new BlockAllocator(8, 4);
        Assert.Equal(0, pool.UsedBlocks);
        Assert.Equal(0, pool.CachedBlocks);
        Assert.Equal(8, pool.AvailableBlocks);
    }

    [Fact]
    public void Released_unpublished_block_becomes_free_not_cached()
    {
        var pool = new BlockAllocator(2, 4);
        var b = pool.Allocate();
        pool.Release(b);
        Assert.Equal(0, pool.UsedBlocks);
        Assert.Equal(0, pool.CachedBlocks);
        Assert.Equal(2, pool.AvailableBlocks);
    }

    [Fact]
    public void Published_block_is_shared_by_a_later_sequence_with_the_same_prefix()
    {
        var pool = new BlockAllocator(4, 4);
        var b = pool.Allocate();
        var hash = BlockHash.Of(0, BlockA);
        pool.Publish(b, hash, BlockA);
        pool.Release(b);
        Assert.Equal(1, pool.CachedBlocks);

        Assert.True(pool.TryReuse(hash, BlockA, out var reused));
        Assert.Equal(b, reused);
        Assert.Equal(1, pool.UsedBlocks);
        Assert.Equal(0, pool.CachedBlocks);
    }

    [Fact]
    public void Hash_hit_with_different_tokens_is_a_miss()
    {
        var pool = new BlockAllocator(4, 4);
        var b = pool.Allocate();
        var hash = BlockHash.Of(0, BlockA);
        pool.Publish(b, hash, BlockA);
        Assert.False(pool.TryReuse(hash, BlockB, out _));
    }

    [Fact]
    public void Chained_hash_depends_on_the_preceding_blocks()
    {
        var first = BlockHash.Of(0, BlockA);
        Assert.NotEqual(BlockHash.Of(first, BlockB), BlockHash.Of(BlockHash.Of(0, BlockB), BlockB));
    }

    [Fact]
    public void Allocation_evicts_the_least_recently_released_cached_block_and_forgets_its_hash()
    {
        var pool = new BlockAllocator(2, 4);
        var a = pool.Allocate();
        var b = pool.Allocate();
        var ha = BlockHash.Of(0, BlockA);
        var hb = BlockHash.Of(0, BlockB);
        pool.Publish(a, ha, BlockA);
        pool.Publish(b, hb, BlockB);
        pool.Release(a);
        pool.Release(b);

        var c = pool.Allocate();
        Assert.Equal(a, c);
        Assert.Equal(1, pool.Evictions);
        Assert.False(pool.Contains(ha, BlockA)); // stale KV can never be hit after eviction
        Assert.True(pool.Contains(hb, BlockB));
    }

    [Fact]
    public void Shared_block_stays_used_until_every_reference_is_released()
    {
        var pool = new BlockAllocator(2, 4);
        var a = pool.Allocate();
        pool.AddReference(a);
        pool.Release(a);
        Assert.Equal(1, pool.UsedBlocks);
        pool.Release(a);
        Assert.Equal(0, pool.UsedBlocks);
    }

    [Fact]
    public void Releasing_more_often_than_referenced_throws()
    {
        var pool = new BlockAllocator(2, 4);
        var a = pool.Allocate();
        pool.Release(a);
        Assert.Throws<InvalidOperationException>(() => pool.Release(a));
    }

    [Fact]
    public void Allocating_from_a_full_pool_throws_with_a_clear_message()
    {
        var pool = new BlockAllocator(1, 4);
        pool.Allocate();
        var e = Assert.Throws<InvalidOperationException>(() => pool.Allocate());
        Assert.Contains("KV cache is full", e.Message);
    }
}
