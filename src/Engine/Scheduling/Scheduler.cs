using InferMesh.Engine.KvCache;

namespace InferMesh.Engine.Scheduling;

/// <summary>
/// Continuous batching: each step mixes decode tokens of running sequences with prefill chunks under a token
/// budget (chunked prefill, as vLLM's scheduler does), admits waiting sequences between steps, and preempts the
/// newest running sequence — freeing its blocks to be recomputed later — when KV blocks run out.
/// Prefix caching: at admission, full blocks of the prompt whose chained hash is cached are shared, not computed.
/// Before preempting anything it asks <c>reclaim</c> to give back idle KV (resident sessions), one at a time.
/// Not thread-safe: the engine's step loop owns it.
/// </summary>
public sealed class Scheduler(BlockAllocator allocator, SchedulerOptions options, Func<bool>? reclaim = null)
{
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];
    private readonly List<ScheduledChunk> _plan = [];

    public int RunningCount => _running.Count;

    public int WaitingCount => _waiting.Count;

    public bool HasWork => _running.Count > 0 || _waiting.Count > 0;

    public long Preemptions { get; private set; }

    public long PrefixQueries { get; private set; }

    public long PrefixHits { get; private set; }

    public BlockAllocator Allocator => allocator;

    public IReadOnlyList<Sequence> Running => _running;

    public void Enqueue(Sequence sequence)
    {
        sequence.Status = SequenceStatus.Waiting;
        _waiting.AddLast(sequence);
    }

    /// <summary>Removes a sequence wherever it is and frees its blocks (cancellation, finish).</summary>
    public void Remove(Sequence sequence)
    {
        if (!_running.Remove(sequence))
        {
            _waiting.Remove(sequence);
        }

        sequence.ReleaseBlocks(allocator);
        sequence.Status = SequenceStatus.Finished;
    }

    /// <summary>Detaches a finished sequence but keeps its blocks referenced (a session keeps its KV resident).</summary>
    public void Detach(Sequence sequence)
    {
        _running.Remove(sequence);
        sequence.Status = SequenceStatus.Finished;
    }

    private int _promptLogitBudget;

    /// <summary>
    /// Plans the next step. Sequences that can never fit the cache are returned in <paramref name="rejected"/>
    /// (already removed) so the engine can fail them.
    /// </summary>
    public IReadOnlyList<ScheduledChunk> Schedule(List<Sequence> rejected)
    {
        _plan.Clear();
        var budget = options.MaxBatchTokens;
        _promptLogitBudget = SchedulerOptions.PromptLogitRows;
        var preempted = false;

        // Running sequences first, oldest first: decode tokens and the rest of their prefill.
        for (var i = 0; i < _running.Count && budget > 0; i++)
        {
            var seq = _running[i];
            var n = ChunkSize(seq, budget);
            while (!TryReserve(seq, n))
            {
                var victim = _running[^1];
                Preempt(victim);
                preempted = true;
                if (victim == seq)
                {
                    n = 0;
                    break;
                }
            }

            if (n == 0)
            {
                continue;
            }

            Plan(seq, n);
            budget -= n;
        }

        // Admit waiting sequences while budget and blocks allow (not in a step that had to preempt), in order; a
        // prompt-logprobs sequence whose rows this step has used up waits for the next step without holding back the
        // ones behind it.
        var node = _waiting.First;
        while (!preempted && budget > 0 && node is not null && _running.Count < options.MaxSequences)
        {
            var seq = node.Value;
            var next = node.Next;
            if (BlocksFor(seq.Length) > allocator.TotalBlocks)
            {
                _waiting.Remove(node);
                seq.ReleaseBlocks(allocator);
                seq.Status = SequenceStatus.Finished;
                rejected.Add(seq);
                node = next;
                continue;
            }

            LookUpPrefix(seq);
            var n = ChunkSize(seq, budget);
            if (n == 0 && KeepsPromptLogits(seq))
            {
                node = next;
                continue;
            }

            if (n == 0 || !TryReserve(seq, n))
            {
                break;
            }

            _waiting.Remove(node);
            seq.Status = SequenceStatus.Running;
            _running.Add(seq);
            Plan(seq, n);
            budget -= n;
            node = next;
        }

        if (_plan.Count == 0 && _running.Count == 0 && _waiting.First is { } stuck)
        {
            // Nothing runs and the head of the queue cannot get blocks even with the cache empty: fail it.
            _waiting.RemoveFirst();
            stuck.Value.ReleaseBlocks(allocator);
            stuck.Value.Status = SequenceStatus.Finished;
            rejected.Add(stuck.Value);
        }

        return _plan;
    }

    private static ScheduledChunk Chunk(Sequence seq, int n) =>
        seq.SparsePositions is null ? new ScheduledChunk(seq, seq.ComputedTokens, n) : new ScheduledChunk(seq, seq.SparseCursor, n, Sparse: true);

    private int ChunkSize(Sequence seq, int budget)
    {
        var n = Math.Min(seq.PendingTokens, budget);
        if (options.MaxPrefillChunk > 0 && n > options.MaxPrefillChunk)
        {
            n = options.MaxPrefillChunk;
        }

        if (KeepsPromptLogits(seq))
        {
            // Every prompt row keeps its logits: the step's rows for them are bounded (the logits buffers' size).
            n = Math.Min(n, _promptLogitBudget);
        }

        return n;
    }

    private static bool KeepsPromptLogits(Sequence seq) => seq.AllPromptLogits && seq.ComputedTokens < seq.PromptLength;

    /// <summary>Adds a chunk to the step's plan, taking its prompt logit rows from the step's budget.</summary>
    private void Plan(Sequence seq, int n)
    {
        _plan.Add(Chunk(seq, n));
        if (KeepsPromptLogits(seq))
        {
            _promptLogitBudget -= n;
        }
    }

    private int BlocksFor(int tokens) => (tokens + allocator.BlockSize - 1) / allocator.BlockSize;

    /// <summary>Allocates the blocks that tokens [computed, computed+n) need; false when too few are available.</summary>
    private bool TryReserve(Sequence seq, int n)
    {
        if (seq.SparsePositions is not null)
        {
            return true; // a sparse prefill gets all its blocks when it is planned
        }

        var need = BlocksFor(seq.ComputedTokens + n) - seq.Blocks.Count;
        if (need <= 0)
        {
            return true;
        }

        while (need > allocator.AvailableBlocks)
        {
            if (reclaim is null || !reclaim())
            {
                return false;
            }
        }

        for (var i = 0; i < need; i++)
        {
            seq.Blocks.Add(allocator.Allocate());
        }

        return true;
    }

    private void Preempt(Sequence seq)
    {
        _running.Remove(seq);
        seq.ReleaseBlocks(allocator);
        seq.Preemptions++;
        seq.Status = SequenceStatus.Waiting;
        _waiting.AddFirst(seq);
        Preemptions++;
    }

    /// <summary>
    /// Shares cached full blocks of the sequence's prefix. At least one token is always left to compute, so the
    /// step produces the logits of the last position.
    /// </summary>
    private void LookUpPrefix(Sequence seq)
    {
        if (seq.PrefixLookedUp || seq.AllPromptLogits || !options.EnablePrefixCaching || seq.SparsePositions is not null)
        {
            return;
        }

        seq.PrefixLookedUp = true;
        PrefixQueries++;
        var hits = 0;
        if (seq.Blocks.Count == seq.PublishedBlocks)
        {
            // Only a sequence whose blocks are all published (none partial) can extend its chain from the cache.
            var hash = seq.LastBlockHash;
            hits = allocator.ReusePrefix(seq.Tokens, seq.PublishedBlocks, seq.Length, ref hash, seq.Blocks);
            seq.LastBlockHash = hash;
            seq.PublishedBlocks += hits;
            seq.ComputedTokens = hits > 0 ? seq.PublishedBlocks * allocator.BlockSize : seq.ComputedTokens;
        }

        if (hits > 0)
        {
            PrefixHits++;
        }

        if (seq.GeneratedCount == 0 && seq.Preemptions == 0)
        {
            // First admission: everything already computed (resident session KV plus prefix hits) was reused; KV
            // imported from a ring was computed for this request, so it is not counted as cached.
            seq.CachedPromptTokens = seq.ComputedTokens - seq.ImportedPromptTokens;
        }
    }
}
