using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.KvCache;
using InferMesh.Engine.Scheduling;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>
/// Chunk reuse for segmented (RAG) prompts, after Cache-Craft (Agarwal et al., SIGMOD 2025): chunks found in the
/// chunk store are placed into the sequence's KV without prefill — keys re-rotated by the position delta, exact for
/// RoPE since rotations compose — then only the planned tokens of those chunks, and every uncached token, are
/// computed in one sparse prefill over the whole new context. Chunks computed here are stored with their scores.
/// </summary>
public sealed partial class InferenceEngine
{
    private readonly Dictionary<Sequence, List<ChunkCapture>> _captures = [];

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
            TryPlaceChunks(seq, hits, starts, keys, policy);
        }

        _chunkStats = _chunkStore.Stats;
    }

    private bool TryPlaceChunks(Sequence seq, List<(int Segment, ChunkVariant Variant)> hits, int[] starts, ulong[] keys, ChunkReusePolicy policy)
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
        foreach (var (segment, variant) in hits)
        {
            if (starts[segment] < exact)
            {
                continue; // already exact from the prefix cache
            }

            var match = variant.ContextMatch(keys.AsSpan(0, segment));
            var share = RecomputePlanner.Share(variant, match, variant.Position == starts[segment], policy);
            var selected = RecomputePlanner.Select(variant, share);
            plans.Add((starts[segment], variant, selected));
            recompute += selected.Length;
            for (var t = 0; t < variant.Tokens.Length; t++)
            {
                placed[starts[segment] + t] = true;
            }
        }

        placed[length - 1] = false; // the last prompt token always runs, for the logits
        var reused = placed.Count(p => p) - recompute;
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

        foreach (var (start, variant, selected) in plans)
        {
            PlaceChunk(seq, variant, start);
            foreach (var offset in selected)
            {
                placed[start + offset] = false;
            }
        }

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

    /// <summary>Copies a stored chunk into the sequence's slots, rotating its keys from the stored position to the new one.</summary>
    private void PlaceChunk(Sequence seq, ChunkVariant variant, int start)
    {
        var n = variant.Tokens.Length;
        var slots = new int[n];
        for (var t = 0; t < n; t++)
        {
            slots[t] = seq.SlotOf(start + t, _allocator.BlockSize);
        }

        using var slotTensor = _backend.Allocate(n, 1, DType.I32);
        using var delta = _backend.Allocate(n, 1, DType.I32);
        using var rotated = _backend.Allocate(n, variant.Kv.KvWidth, _backend.CacheType);
        _backend.Upload(slots, slotTensor);
        _backend.Upload(Enumerable.Repeat(start - variant.Position, n).ToArray(), delta);
        for (var l = 0; l < variant.Kv.Layers; l++)
        {
            _backend.Copy(variant.Kv.Keys(l), rotated);
            if (start != variant.Position)
            {
                _backend.Rope(rotated, _folder.Config.HeadDim, delta, _model.InvFreq, 1f);
            }

            _backend.WriteKv(rotated, variant.Kv.Values(l), _cache.Keys(l), _cache.Values(l), slotTensor);
        }
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

    /// <summary>Stores the chunks of a sequence whose prompt is now fully computed.</summary>
    private void CaptureChunks(Sequence seq)
    {
        if (seq.ComputedTokens < seq.PromptLength || !_captures.Remove(seq, out var captures))
        {
            return;
        }

        var kvWidth = _folder.Config.NumKeyValueHeads * _folder.Config.HeadDim;
        foreach (var c in captures)
        {
            var slots = new int[c.Length];
            for (var t = 0; t < c.Length; t++)
            {
                slots[t] = seq.SlotOf(c.Start + t, _allocator.BlockSize);
            }

            using var slotTensor = _backend.Allocate(c.Length, 1, DType.I32);
            _backend.Upload(slots, slotTensor);
            var keys = new DeviceTensor[c.Layers];
            var values = new DeviceTensor[c.Layers];
            for (var l = 0; l < c.Layers; l++)
            {
                keys[l] = _backend.Allocate(c.Length, kvWidth, _backend.CacheType);
                values[l] = _backend.Allocate(c.Length, kvWidth, _backend.CacheType);
                _backend.GatherRows(_cache.Keys(l), slotTensor, keys[l]);
                _backend.GatherRows(_cache.Values(l), slotTensor, values[l]);
            }

            var scores = c.ScoreSums.Select(s => s / c.Layers).ToArray();
            _chunkStore.Add(new ChunkVariant(c.Key, seq.Tokens.Slice(c.Start, c.Length).ToArray(), c.Start, c.Context, scores, new ChunkKv(keys, values)));
        }

        _chunkStats = _chunkStore.Stats;
    }
}
