using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.KvCache;
using InferMesh.Engine.Scheduling;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>
/// Chunk reuse for segmented (RAG) prompts, after Cache-Craft (Agarwal et al., SIGMOD 2025): chunks found in the
/// chunk store are placed into the sequence's KV without prefill — keys re-rotated by the position delta, exact for
/// RoPE since rotations compose — then only the planned tokens of those chunks (<see cref="RecomputePlanner"/>), and
/// every uncached token, are computed in one sparse prefill over the whole new context. Chunks computed here are
/// stored with their scores once the first token is out. Placing and storing are batched device copies
/// (<see cref="ChunkKvCopier"/>): a few operations per layer whatever the number and length of the chunks, no
/// device allocation and no synchronisation.
/// </summary>
public sealed partial class InferenceEngine
{
    private readonly Dictionary<Sequence, List<ChunkCapture>> _captures = [];
    private readonly int _minRecomputeRun;

    public ChunkStore Chunks => _chunkStore;

    public ChunkStoreStats ChunkStats => _chunkStats;

    private volatile ChunkStoreStats _chunkStats = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Plans a segmented request: prefix hits, chunk hits placed and re-rotated, sparse prefill, captures.</summary>
    private void PlanSegments(ActiveRequest active)
    {
        var request = active.Request;
        var seq = active.Sequence;
        var policy = request.ChunkReuse;
        if (request.Segments is not { Count: > 0 } segments || seq.Blocks.Count > 0)
        {
            return; // no structure, or a resident session's KV already fills the front of the sequence
        }

        if (policy.Mode == ChunkReuseMode.FullRecompute)
        {
            seq.PrefixLookedUp = true; // computes everything, like a cold cache
            return;
        }

        var reuse = policy.Mode is ChunkReuseMode.CacheCraft or ChunkReuseMode.FixedRatio;
        var keys = segments.Select(s => ChunkStore.KeyOf(request.CacheNamespace, ModelName, s.TokenIds.ToArray())).ToArray();
        var starts = new int[segments.Count];
        for (var i = 1; i < segments.Count; i++)
        {
            starts[i] = starts[i - 1] + segments[i - 1].TokenIds.Count;
        }

        var contextPrefix = segments[0].IsChunk ? 0 : segments[0].TokenIds.Count;
        var lastChunk = segments.Count - 1;
        while (lastChunk > 0 && !segments[lastChunk].IsChunk)
        {
            lastChunk--;
        }

        var firstChunk = 0;
        while (firstChunk < lastChunk && !segments[firstChunk].IsChunk)
        {
            firstChunk++;
        }

        var documentsEnd = starts[lastChunk] + segments[lastChunk].TokenIds.Count;
        var window = RecomputePlanner.Window(policy.RecencyWindow, documentsEnd - starts[firstChunk]);
        var captures = new List<ChunkCapture>();
        var hits = new List<(int Segment, ChunkVariant Variant)>();
        for (var i = 0; i < segments.Count; i++)
        {
            if (!segments[i].IsChunk || segments[i].TokenIds.Count < _chunkStore.Options.MinChunkTokens)
            {
                continue;
            }

            var variant = reuse ? _chunkStore.FindBest(keys[i], segments[i].TokenIds.ToArray(), keys.AsSpan(0, i)) : null;
            if (variant is not null)
            {
                hits.Add((i, variant));
            }
            else if (policy.StoreChunks && !_chunkStore.Contains(keys[i]))
            {
                captures.Add(new ChunkCapture(seq, keys[i], starts[i], segments[i].TokenIds.Count, contextPrefix, keys[..i], _folder.Config.NumHiddenLayers));
            }
        }

        if (captures.Count > 0)
        {
            _captures[seq] = captures;
        }

        if (hits.Count > 0)
        {
            // On failure the normal path (prefix cache, contiguous prefill) computes everything.
            TryPlaceChunks(seq, hits, starts, keys, documentsEnd, window, policy);
        }

        _chunkStore.Unpin();

        _chunkStats = _chunkStore.Stats;
    }

    private bool TryPlaceChunks(Sequence seq, List<(int Segment, ChunkVariant Variant)> hits, int[] starts, ulong[] keys, int documentsEnd, int window, ChunkReusePolicy policy)
    {
        var length = seq.Length;
        var size = _allocator.BlockSize;
        var blocks = (length + size - 1) / size;
        if (blocks > _allocator.AvailableBlocks)
        {
            return false;
        }

        // Exact KV first: leading blocks the prefix cache already holds (the instructions, often a first chunk).
        var shared = new List<int>();
        var hash = seq.HashSeed;
        if (_options.EnablePrefixCaching)
        {
            _allocator.ReusePrefix(seq.Tokens, 0, length, ref hash, shared);
        }

        var exact = shared.Count * size;
        var placed = new bool[length];
        var recompute = 0;
        var plans = new List<(int Start, ChunkVariant Variant, int[] Selected)>();
        var typicalImpact = _chunkStore.TypicalImpact;
        foreach (var (segment, variant) in hits)
        {
            var start = starts[segment];
            var n = variant.Tokens.Length;
            if (start < exact)
            {
                continue; // already exact from the prefix cache
            }

            var match = variant.ContextMatch(keys.AsSpan(0, segment));
            var share = RecomputePlanner.Share(variant, match, variant.Position == start, policy, typicalImpact);
            var recency = RecomputePlanner.RecencyTokens(start, n, documentsEnd, window);
            var selected = RecomputePlanner.Select(variant, share, recency, _minRecomputeRun);
            if (selected.Length == n)
            {
                continue; // every token is recomputed: nothing to place
            }

            plans.Add((start, variant, selected));
            recompute += selected.Length;
            placed.AsSpan(start, n).Fill(true);
            foreach (var offset in selected)
            {
                placed[start + offset] = false;
            }
        }

        placed[length - 1] = false; // the last prompt token always runs, for the logits
        var reused = placed.Count(p => p);
        if (plans.Count == 0 || reused < (length - exact) / 10)
        {
            foreach (var b in shared)
            {
                _allocator.Release(b);
            }

            return false; // reuse would not pay: less than a tenth of the uncached prompt saved
        }

        seq.Blocks.AddRange(shared);
        for (var b = shared.Count; b < blocks; b++)
        {
            seq.Blocks.Add(_allocator.Allocate());
        }

        PlaceChunks(seq, plans, placed);
        var positions = new List<int>(length - exact - reused);
        for (var p = exact; p < length; p++)
        {
            if (!placed[p])
            {
                positions.Add(p);
            }
        }

        seq.PublishedBlocks = shared.Count;
        seq.LastBlockHash = hash;
        seq.ComputedTokens = exact;
        seq.SparsePositions = positions;
        seq.SparseCursor = 0;
        seq.PrefixLookedUp = true;
        seq.ApproximateFrom = Array.IndexOf(placed, true);
        seq.CachedPromptTokens = exact + reused;
        seq.ReusedChunkTokens = reused;
        _chunkStore.RecordReuse(reused, recompute);
        return true;
    }

    /// <summary>
    /// Writes the placed tokens of every planned chunk into the sequence's slots in one batch, keys rotated from each
    /// variant's stored position to the new one. Tokens to be recomputed are skipped: the sparse prefill computes them
    /// before any later position reads them.
    /// </summary>
    private void PlaceChunks(Sequence seq, List<(int Start, ChunkVariant Variant, int[] Selected)> plans, bool[] placed)
    {
        var items = new List<(ChunkKv Kv, int[] Offsets, int[] Slots, int Delta)>(plans.Count);
        foreach (var (start, variant, _) in plans)
        {
            var offsets = new List<int>(variant.Tokens.Length);
            for (var t = 0; t < variant.Tokens.Length; t++)
            {
                if (placed[start + t])
                {
                    offsets.Add(t);
                }
            }

            var slots = offsets.Select(t => seq.SlotOf(start + t, _allocator.BlockSize)).ToArray();
            items.Add((variant.Kv, [.. offsets], slots, start - variant.Position));
        }

        _chunkCopier.Place(items);
    }

    /// <summary>Registers this step's rows that belong to chunks being captured, so the scorer sees them.</summary>
    private ChunkScorer? PrepareChunkScoring(IReadOnlyList<ScheduledChunk> plan)
    {
        if (_captures.Count == 0)
        {
            return null;
        }

        var row = 0;
        foreach (var chunk in plan)
        {
            if (_captures.TryGetValue(chunk.Sequence, out var captures))
            {
                for (var i = 0; i < chunk.Count; i++)
                {
                    var position = chunk.Sparse ? chunk.Sequence.SparsePositions![chunk.Start + i] : chunk.Start + i;
                    foreach (var c in captures)
                    {
                        if (position >= c.Start && position < c.Start + c.Length)
                        {
                            _chunkScorer.AddRow(c, row + i, position);
                        }
                    }
                }
            }

            row += chunk.Count;
        }

        if (!_chunkScorer.HasWork)
        {
            return null;
        }

        _chunkScorer.Prepare();
        return _chunkScorer;
    }

    /// <summary>Stores the chunks of a sequence whose prompt is now fully computed (one batched copy for all of them).</summary>
    private void CaptureChunks(Sequence seq)
    {
        if (seq.ComputedTokens < seq.PromptLength || !_captures.Remove(seq, out var captures))
        {
            return;
        }

        var stored = new List<(ChunkCapture Capture, ChunkKv Kv)>(captures.Count);
        foreach (var c in captures)
        {
            if (_chunkStore.Reserve(c.Length) is { } kv)
            {
                stored.Add((c, kv));
            }
        }

        _chunkCopier.Capture(stored.Select(s => (s.Kv, Enumerable.Range(s.Capture.Start, s.Capture.Length).Select(p => seq.SlotOf(p, _allocator.BlockSize)).ToArray())).ToList());
        foreach (var (c, kv) in stored)
        {
            _chunkStore.Add(new ChunkVariant(c.Key, seq.Tokens.Slice(c.Start, c.Length).ToArray(), c.Start, c.Context, c.Scores(), kv) { HadChunkContext = c.Start > c.ContextPrefix });
        }

        _chunkStats = _chunkStore.Stats;
    }
}
