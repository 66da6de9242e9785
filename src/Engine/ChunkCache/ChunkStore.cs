namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// Chunk caches of one engine (Cache-Craft, Agarwal et al., SIGMOD 2025): variants of each chunk keyed by
/// hash(namespace, model, token ids), kept in tiers (device → host → disk) under byte budgets. The device tier is the
/// <see cref="ChunkArena"/> (its size is the device budget). When a tier is full the variant of lowest utility moves
/// down a tier (or is dropped from the last); utility weighs reuse frequency, recency, recompute cost (tokens) and
/// size. Variants found for the request being planned are pinned on the device until <see cref="Unpin"/>.
/// Owned by the engine's step loop; not thread-safe.
/// </summary>
public sealed class ChunkStore(ChunkKvCopier copier, ChunkStoreOptions options) : IDisposable
{
    private readonly HashSet<ChunkVariant> _pinned = [];
    private readonly Dictionary<ulong, List<ChunkVariant>> _chunks = [];
    private long _clock;
    private long _nextVariantId;
    private long _lookups, _hits, _evictions, _reused, _recomputed;

    public ChunkStoreOptions Options => options;

    /// <summary>Told of stores, tier moves, reuses and drops (the silo reports them to the cluster's chunk directory).</summary>
    public IChunkStoreObserver? Observer { get; set; }

    public static ulong KeyOf(string ns, string model, ReadOnlySpan<int> tokens)
    {
        var h = 14695981039346656037UL;
        foreach (var c in ns + "\u0000" + model)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        foreach (var t in tokens)
        {
            h = (h ^ (uint)t) * 1099511628211UL;
            h = (h ^ ((uint)t >> 16)) * 1099511628211UL;
        }

        return h == 0 ? 1 : h;
    }

    public ChunkStoreStats Stats => new(
        _chunks.Count, _chunks.Values.Sum(v => v.Count),
        Bytes(ChunkTier.Device), Bytes(ChunkTier.Host), Bytes(ChunkTier.Disk),
        _lookups, _hits, _evictions, _reused, _recomputed);

    /// <summary>The variant whose context best matches the new one (ties: the most recently used).</summary>
    public ChunkVariant? FindBest(ulong key, ReadOnlySpan<int> tokens, ReadOnlySpan<ulong> context)
    {
        _lookups++;
        if (!_chunks.TryGetValue(key, out var variants))
        {
            return null;
        }

        ChunkVariant? best = null;
        var bestMatch = -1.0;
        foreach (var v in variants)
        {
            if (!tokens.SequenceEqual(v.Tokens))
            {
                continue; // hash collision: never reuse KV of other tokens
            }

            var match = v.ContextMatch(context);
            if (match > bestMatch || (match == bestMatch && v.LastUsed > best!.LastUsed))
            {
                best = v;
                bestMatch = match;
            }
        }

        if (best is not null)
        {
            if (!best.Kv.EnsureOnDevice(copier) && !(MakeRoom(best.Kv.Tokens, best) && best.Kv.EnsureOnDevice(copier)))
            {
                return null; // no room on the device even after evicting everything unpinned: compute it instead
            }

            _hits++;
            best.Hits++;
            best.LastUsed = ++_clock;
            _pinned.Add(best);
            EnforceBudgets(best);
            Observer?.Changed(best);
        }

        return best;
    }

    /// <summary>Lets variants found since the last call be evicted again (after their KV was placed).</summary>
    public void Unpin() => _pinned.Clear();

    /// <summary>Device storage for a new chunk of <paramref name="tokens"/> tokens, evicting as needed; null when none can be had.</summary>
    public ChunkKv? Reserve(int tokens)
    {
        var arena = copier.Arena;
        var blocks = arena.TryAllocate(tokens);
        if (blocks is null && MakeRoom(tokens, null))
        {
            blocks = arena.TryAllocate(tokens);
        }

        return blocks is null ? null : new ChunkKv(arena, blocks, tokens);
    }

    /// <summary>Moves device variants of lowest utility down until <paramref name="tokens"/> fit the arena.</summary>
    private bool MakeRoom(int tokens, ChunkVariant? keep)
    {
        var arena = copier.Arena;
        while (arena.FreeBlocks < arena.BlocksFor(tokens))
        {
            var victim = All().Where(v => v.Kv.Tier == ChunkTier.Device && v != keep && !_pinned.Contains(v)).MinBy(Utility);
            if (victim is null)
            {
                return false;
            }

            _evictions++;
            victim.Kv.Demote(copier, options.DiskDirectory);
            Observer?.Changed(victim);
        }

        EnforceBudgets(keep);
        return true;
    }

    /// <summary>Mean context impact of the stored variants that had chunks before them (the planner's stand-in for the others).</summary>
    public double TypicalImpact
    {
        get
        {
            var measured = All().Where(v => v.HadChunkContext).ToList();
            return measured.Count == 0 ? RecomputePlanner.DefaultImpact : measured.Average(v => v.ContextImpact);
        }
    }

    public bool Contains(ulong key) => _chunks.ContainsKey(key);

    public void Add(ChunkVariant variant)
    {
        variant.LastUsed = ++_clock;
        variant.Id = ++_nextVariantId;
        if (!_chunks.TryGetValue(variant.Key, out var variants))
        {
            _chunks[variant.Key] = variants = [];
        }

        variants.Add(variant);
        Observer?.Stored(variant);
        if (variants.Count > options.MaxVariantsPerChunk)
        {
            var oldest = variants.MinBy(v => v.LastUsed)!;
            Drop(oldest);
        }

        EnforceBudgets(variant);
    }

    /// <summary>Removes every variant of a chunk (DELETE /v1/chunks).</summary>
    public bool Remove(ulong key)
    {
        if (!_chunks.Remove(key, out var variants))
        {
            return false;
        }

        foreach (var v in variants)
        {
            v.Kv.Dispose();
            Observer?.Dropped(v);
        }

        return true;
    }

    public void RecordReuse(int reusedTokens, int recomputedTokens)
    {
        _reused += reusedTokens;
        _recomputed += recomputedTokens;
    }

    /// <summary>Higher is worth keeping higher up: frequent, recent, costly to recompute, small.</summary>
    private double Utility(ChunkVariant v)
    {
        var age = _clock - v.LastUsed;
        var recency = 1.0 / (1.0 + (age / 16.0));
        return (1 + v.Hits) * recency * v.Tokens.Length / Math.Max(1, v.Kv.Bytes / 1024.0);
    }

    private void EnforceBudgets(ChunkVariant? keep)
    {
        Shrink(ChunkTier.Device, options.DeviceBytes, keep);
        Shrink(ChunkTier.Host, options.HostBytes, keep);
        Shrink(ChunkTier.Disk, options.DiskBytes, keep);
    }

    private void Shrink(ChunkTier tier, long budget, ChunkVariant? keep)
    {
        while (Bytes(tier) > budget)
        {
            var victim = All().Where(v => v.Kv.Tier == tier && v != keep && !_pinned.Contains(v)).MinBy(Utility);
            if (victim is null)
            {
                return;
            }

            _evictions++;
            if (tier == ChunkTier.Disk || (tier == ChunkTier.Host && options.DiskDirectory is null))
            {
                Drop(victim);
            }
            else
            {
                victim.Kv.Demote(copier, options.DiskDirectory);
                Observer?.Changed(victim);
            }
        }
    }

    private void Drop(ChunkVariant v)
    {
        v.Kv.Dispose();
        Observer?.Dropped(v);
        if (_chunks.TryGetValue(v.Key, out var list))
        {
            list.Remove(v);
            if (list.Count == 0)
            {
                _chunks.Remove(v.Key);
            }
        }
    }

    private IEnumerable<ChunkVariant> All() => _chunks.Values.SelectMany(v => v);

    private long Bytes(ChunkTier tier) => All().Where(v => v.Kv.Tier == tier).Sum(v => v.Kv.Bytes);

    public void Dispose()
    {
        foreach (var v in All().ToArray())
        {
            v.Kv.Dispose();
        }

        _chunks.Clear();
    }
}
