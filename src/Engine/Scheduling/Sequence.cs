using InferMesh.Engine.KvCache;

namespace InferMesh.Engine.Scheduling;

/// <summary>
/// One sequence in the engine: its tokens (prompt, then generated), how many of them have KV in the cache, and its
/// block table. The scheduler and the step loop own it; nothing here is thread-safe.
/// </summary>
public sealed class Sequence
{
    private readonly int[] _tokens;

    public Sequence(long id, IReadOnlyList<int> promptTokens, int maxNewTokens)
    {
        Id = id;
        PromptLength = promptTokens.Count;
        MaxNewTokens = maxNewTokens;
        _tokens = new int[promptTokens.Count + maxNewTokens];
        for (var i = 0; i < promptTokens.Count; i++)
        {
            _tokens[i] = promptTokens[i];
        }

        Length = promptTokens.Count;
    }

    public long Id { get; }

    public int PromptLength { get; }

    public int MaxNewTokens { get; }

    /// <summary>Prompt plus generated tokens so far.</summary>
    public int Length { get; private set; }

    public int GeneratedCount => Length - PromptLength;

    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Length);

    /// <summary>Tokens whose KV is in the cache (always a prefix of <see cref="Tokens"/>).</summary>
    public int ComputedTokens { get; set; }

    /// <summary>Physical KV block ids in logical order.</summary>
    public List<int> Blocks { get; } = [];

    /// <summary>Leading blocks already published to the prefix cache, and the chained hash of the last of them.</summary>
    public int PublishedBlocks { get; set; }

    public ulong LastBlockHash { get; set; }

    /// <summary>Hash the block chain starts from: the request's cache namespace, so namespaces never share blocks.</summary>
    public ulong HashSeed { get; init; }

    /// <summary>Prompt tokens whose KV was reused (prefix cache or resident session) at the first admission.</summary>
    public int CachedPromptTokens { get; set; }

    /// <summary>Of <see cref="CachedPromptTokens"/>, those placed from the chunk cache (reused chunks, not recomputed).</summary>
    public int ReusedChunkTokens { get; set; }

    /// <summary>Prompt tokens whose KV was imported (computed for this request by a sequence-parallel ring, so not "cached").</summary>
    public int ImportedPromptTokens { get; set; }

    /// <summary>Set once the prefix cache was consulted for the current admission.</summary>
    public bool PrefixLookedUp { get; set; }

    /// <summary>Every prompt position yields logits (prompt logprobs); its prefill chunks are bounded by <see cref="SchedulerOptions.PromptLogitRows"/>.</summary>
    public bool AllPromptLogits { get; set; }

    public SequenceStatus Status { get; set; } = SequenceStatus.Waiting;

    public int Preemptions { get; set; }

    /// <summary>
    /// Positions still to compute when only some prompt tokens need the model (chunk reuse: the rest of the prompt's
    /// KV was placed from the chunk cache). Ascending; null for the normal contiguous prefill.
    /// </summary>
    public List<int>? SparsePositions { get; set; }

    /// <summary>Index of the next entry of <see cref="SparsePositions"/> to compute.</summary>
    public int SparseCursor { get; set; }

    /// <summary>
    /// First position whose KV is approximate (reused from another context); blocks from there on are never
    /// published to the prefix cache. int.MaxValue when every position is exact.
    /// </summary>
    public int ApproximateFrom { get; set; } = int.MaxValue;

    /// <summary>Tokens still to feed through the model before the next token can be sampled.</summary>
    public int PendingTokens => SparsePositions is { } sparse ? sparse.Count - SparseCursor : Length - ComputedTokens;

    public bool CanGrow => Length < _tokens.Length;

    /// <summary>KV cache slot of a position: its block's first slot plus the offset in the block.</summary>
    public int SlotOf(int position, int blockSize) => SlotOf(Blocks, position, blockSize);

    /// <summary>KV cache slot of a position in a block table (a sequence's, or a resident session's).</summary>
    public static int SlotOf(IReadOnlyList<int> blocks, int position, int blockSize) => (blocks[position / blockSize] * blockSize) + (position % blockSize);

    public void Append(int tokenId)
    {
        if (!CanGrow)
        {
            throw new InvalidOperationException($"sequence {Id} is at its token limit ({_tokens.Length}).");
        }

        _tokens[Length++] = tokenId;
    }

    /// <summary>Releases every block of the sequence and forgets its KV (preemption or finish).</summary>
    public void ReleaseBlocks(BlockAllocator allocator)
    {
        foreach (var b in Blocks)
        {
            allocator.Release(b);
        }

        Blocks.Clear();
        ComputedTokens = 0;
        ImportedPromptTokens = 0;
        PublishedBlocks = 0;
        LastBlockHash = HashSeed;
        PrefixLookedUp = false;
        SparsePositions = null;
        SparseCursor = 0;
        ApproximateFrom = int.MaxValue;
    }

    /// <summary>Publishes every block that became full, so later sequences with the same prefix can share it.</summary>
    public void PublishFullBlocks(BlockAllocator allocator)
    {
        var size = allocator.BlockSize;
        while ((PublishedBlocks + 1) * size <= Math.Min(ComputedTokens, ApproximateFrom))
        {
            var tokens = Tokens.Slice(PublishedBlocks * size, size);
            var hash = BlockHash.Of(LastBlockHash, tokens);
            allocator.Publish(Blocks[PublishedBlocks], hash, tokens);
            LastBlockHash = hash;
            PublishedBlocks++;
        }
    }
}
