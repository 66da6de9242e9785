using InferMesh.Engine.KvCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// Moves chunk KV between a sequence's slots in the KV cache, the <see cref="ChunkArena"/> and host memory, batched so
/// the device work does not grow with the number or length of chunks: one index upload per batch, then per layer two
/// gathers and one scatter (plus one re-rotation when placing), whatever the chunks. Nothing here synchronises with the
/// device except the downloads of a move to host memory. Staging tensors grow on demand and are kept.
/// Keys are re-rotated with the frequencies of their own layer (<paramref name="layerInvFreq"/>): Gemma 3's sliding-window
/// layers rotate with other frequencies than its global ones.
/// </summary>
public sealed class ChunkKvCopier(IComputeBackend backend, ChunkArena arena, KvCachePool cache, Func<int, DeviceTensor> layerInvFreq, int headDim) : IDisposable
{
    /// <summary>A copier for models whose layers all rotate with <paramref name="invFreq"/>.</summary>
    public ChunkKvCopier(IComputeBackend backend, ChunkArena arena, KvCachePool cache, DeviceTensor invFreq, int headDim)
        : this(backend, arena, cache, _ => invFreq, headDim)
    {
    }

    /// <summary>Rows staged at once when moving whole chunks to or from the host (layers are grouped to fit).</summary>
    private const int HostMoveRows = 16384;

    private DeviceTensor? _stageKeys, _stageValues, _indices;
    private int[] _hostIndices = [];

    public ChunkArena Arena => arena;

    /// <summary>
    /// Copies sequence slots into the arena: item i's <c>Slots[t]</c> holds token t of the chunk whose KV is <c>Kv</c>.
    /// </summary>
    public void Capture(IReadOnlyList<(ChunkKv Kv, int[] Slots)> items)
    {
        var n = items.Sum(i => i.Slots.Length);
        if (n == 0)
        {
            return;
        }

        // Index layout: [sequence slots n][arena rows of layer 0 n]...[arena rows of layer L-1 n].
        var host = HostIndices((1 + arena.Layers) * n);
        var at = 0;
        foreach (var (kv, slots) in items)
        {
            for (var t = 0; t < slots.Length; t++, at++)
            {
                host[at] = slots[t];
                for (var l = 0; l < arena.Layers; l++)
                {
                    host[((1 + l) * n) + at] = arena.Row(kv.Blocks, t, l);
                }
            }
        }

        var indices = UploadIndices((1 + arena.Layers) * n);
        var (keys, values) = Stage(n);
        var slotsView = indices.View(0, n);
        for (var l = 0; l < arena.Layers; l++)
        {
            backend.GatherRows(cache.Keys(l), slotsView, keys);
            backend.GatherRows(cache.Values(l), slotsView, values);
            backend.WriteKv(keys, values, arena.Keys, arena.Values, indices.View((1 + l) * n, n));
        }
    }

    /// <summary>
    /// Writes tokens <c>Offsets</c> of stored chunks into sequence slots, keys re-rotated by <c>Delta</c> positions
    /// (RoPE rotations compose, so rotating keys computed at p by q−p gives the keys at q).
    /// </summary>
    public void Place(IReadOnlyList<(ChunkKv Kv, int[] Offsets, int[] Slots, int Delta)> items)
    {
        var n = items.Sum(i => i.Offsets.Length);
        if (n == 0)
        {
            return;
        }

        // Index layout: [sequence slots n][position deltas n][arena rows of each layer n]...
        var host = HostIndices((2 + arena.Layers) * n);
        var at = 0;
        var rotate = false;
        foreach (var (kv, offsets, slots, delta) in items)
        {
            rotate |= delta != 0;
            for (var i = 0; i < offsets.Length; i++, at++)
            {
                host[at] = slots[i];
                host[n + at] = delta;
                for (var l = 0; l < arena.Layers; l++)
                {
                    host[((2 + l) * n) + at] = arena.Row(kv.Blocks, offsets[i], l);
                }
            }
        }

        var indices = UploadIndices((2 + arena.Layers) * n);
        var (keys, values) = Stage(n);
        var slotsView = indices.View(0, n);
        var deltas = indices.View(n, n);
        for (var l = 0; l < arena.Layers; l++)
        {
            var rows = indices.View((2 + l) * n, n);
            backend.GatherRows(arena.Keys, rows, keys);
            backend.GatherRows(arena.Values, rows, values);
            if (rotate)
            {
                backend.Rope(keys, headDim, deltas, layerInvFreq(l), 1f);
            }

            backend.WriteKv(keys, values, cache.Keys(l), cache.Values(l), slotsView);
        }
    }

    /// <summary>Reads a chunk's KV out of the arena into host arrays laid out [layer][token][kvWidth].</summary>
    public void ToHost(ChunkKv kv, float[] keys, float[] values) => MoveLayerGroups(kv, (rows, first, indices, stageKeys, stageValues) =>
    {
        backend.GatherRows(arena.Keys, indices, stageKeys);
        backend.GatherRows(arena.Values, indices, stageValues);
        backend.Download(stageKeys, keys.AsSpan(first * arena.KvWidth, rows * arena.KvWidth));
        backend.Download(stageValues, values.AsSpan(first * arena.KvWidth, rows * arena.KvWidth));
    });

    /// <summary>Writes host arrays laid out [layer][token][kvWidth] into a chunk's arena blocks.</summary>
    public void ToDevice(ChunkKv kv, float[] keys, float[] values) => MoveLayerGroups(kv, (rows, first, indices, stageKeys, stageValues) =>
    {
        backend.Upload(keys.AsSpan(first * arena.KvWidth, rows * arena.KvWidth), stageKeys);
        backend.Upload(values.AsSpan(first * arena.KvWidth, rows * arena.KvWidth), stageValues);
        backend.WriteKv(stageKeys, stageValues, arena.Keys, arena.Values, indices);
    });

    /// <summary>Runs <paramref name="move"/> over groups of whole layers whose rows fit the host-move staging size.</summary>
    private void MoveLayerGroups(ChunkKv kv, Action<int, int, DeviceTensor, DeviceTensor, DeviceTensor> move)
    {
        var perGroup = Math.Clamp(HostMoveRows / Math.Max(1, kv.Tokens), 1, arena.Layers);
        for (var l0 = 0; l0 < arena.Layers; l0 += perGroup)
        {
            var layers = Math.Min(perGroup, arena.Layers - l0);
            var rows = layers * kv.Tokens;
            var host = HostIndices(rows);
            for (var l = 0; l < layers; l++)
            {
                for (var t = 0; t < kv.Tokens; t++)
                {
                    host[(l * kv.Tokens) + t] = arena.Row(kv.Blocks, t, l0 + l);
                }
            }

            var indices = UploadIndices(rows);
            var (keys, values) = Stage(rows);
            move(rows, l0 * kv.Tokens, indices, keys, values);
        }
    }

    private Span<int> HostIndices(int count)
    {
        if (_hostIndices.Length < count)
        {
            _hostIndices = new int[Math.Max(count, 2 * _hostIndices.Length)];
        }

        return _hostIndices.AsSpan(0, count);
    }

    /// <summary>Uploads the first <paramref name="count"/> host indices; one upload per batch.</summary>
    private DeviceTensor UploadIndices(int count)
    {
        if (_indices is null || _indices.Rows < count)
        {
            _indices?.Dispose();
            _indices = backend.Allocate(Math.Max(count, 2 * (_indices?.Rows ?? 0)), 1, DType.I32);
        }

        var view = _indices.View(0, count);
        backend.Upload(_hostIndices.AsSpan(0, count), view);
        return view;
    }

    private (DeviceTensor Keys, DeviceTensor Values) Stage(int rows)
    {
        if (_stageKeys is null || _stageKeys.Rows < rows)
        {
            var capacity = Math.Max(rows, 2 * (_stageKeys?.Rows ?? 0));
            _stageKeys?.Dispose();
            _stageValues?.Dispose();
            _stageKeys = backend.Allocate(capacity, arena.KvWidth, backend.CacheType);
            _stageValues = backend.Allocate(capacity, arena.KvWidth, backend.CacheType);
        }

        return (_stageKeys.View(0, rows), _stageValues!.View(0, rows));
    }

    public void Dispose()
    {
        _stageKeys?.Dispose();
        _stageValues?.Dispose();
        _indices?.Dispose();
        _stageKeys = _stageValues = _indices = null;
    }
}
