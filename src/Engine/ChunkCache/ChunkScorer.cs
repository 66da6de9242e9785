using InferMesh.Engine.KvCache;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// Cache-Craft's context-impact score, from attention log-sum-exps: for a token of a chunk, attention restricted to
/// its own context (the instructions plus its own chunk) has LSE_own, attention over the whole prompt LSE_all, so the
/// share of its attention mass that went to other chunks is 1 − exp(LSE_own − LSE_all). Per layer the own-context
/// keys are gathered into a small block-aligned scratch cache and the same PagedAttention kernel runs over them.
/// Only a sample of each chunk's tokens is scored (<see cref="ChunkCapture.ScoreStride"/>), at most
/// <see cref="MaxRows"/> per step, which keeps scoring a small fraction of the step. Buffers grow on demand and are
/// kept; both LSEs of every layer stay on the device until the step ends and come back in one download.
/// </summary>
public sealed class ChunkScorer(IComputeBackend backend, int kvWidth, int heads, int headDim, int blockSize, int layers) : IAttentionObserver, IDisposable
{
    /// <summary>
    /// Scored rows per step. Small batches stay on the attention path that needs no look at the batch layout from
    /// the host (the CUDA backend reads it back for prefills of 256 rows or more, a synchronisation per layer).
    /// </summary>
    public const int MaxRows = 240;

    private readonly List<(ChunkCapture Capture, int Row, int Position)> _candidates = [];
    private readonly List<(ChunkCapture Capture, int Row, int Position)> _rows = [];
    private readonly List<int> _keySlots = [], _queryPos = [], _querySeq = [], _rowIndex = [], _tables = [];
    private DeviceTensor? _indices, _tableBuffer, _keys, _values, _q, _output, _lse;
    private DeviceTensor? _keySlotsView, _rowIndexView, _lseOwn, _lseAll;
    private AttentionBatch? _batch;
    private int _scratchRows, _groups, _maxBlocks;
    private float[] _lseHost = [];
    private int[] _hostInts = [];

    public bool HasWork => _candidates.Count > 0;

    /// <summary>Registers a batch row (at a chunk position) to score during the coming step, if it is a sampled token.</summary>
    public void AddRow(ChunkCapture capture, int batchRow, int position)
    {
        if ((position - capture.Start) % capture.ScoreStride == 0)
        {
            _candidates.Add((capture, batchRow, position));
        }
    }

    /// <summary>Builds this step's scratch layout (one group per chunk) once; every layer reuses it.</summary>
    public void Prepare()
    {
        _rows.Clear();
        if (_candidates.Count == 0)
        {
            return;
        }

        // Evenly thin the candidates to the row cap (the step keeps its batch order, so rows stay grouped by chunk).
        for (var i = 0; i < _candidates.Count; i++)
        {
            if (_candidates.Count <= MaxRows || (long)i * MaxRows / _candidates.Count != (long)(i + 1) * MaxRows / _candidates.Count)
            {
                _rows.Add(_candidates[i]);
            }
        }

        _keySlots.Clear();
        _queryPos.Clear();
        _querySeq.Clear();
        _rowIndex.Clear();
        _tables.Clear();
        var groupStarts = new List<int>();
        var offset = 0;
        for (var i = 0; i < _rows.Count;)
        {
            var c = _rows[i].Capture;
            var end = i;
            var last = 0;
            while (end < _rows.Count && _rows[end].Capture == c)
            {
                last = Math.Max(last, _rows[end].Position);
                end++;
            }

            // Keys: the instructions, then the chunk up to its last scored token, padded to whole blocks.
            var count = c.ContextPrefix + (last - c.Start + 1);
            var blocks = (count + blockSize - 1) / blockSize;
            for (var k = 0; k < blocks * blockSize; k++)
            {
                var p = k < c.ContextPrefix ? k : c.Start + Math.Min(k, count - 1) - c.ContextPrefix;
                _keySlots.Add(c.Sequence.SlotOf(p, blockSize)); // padding repeats the last key, never attended
            }

            groupStarts.Add(offset / blockSize);
            _tables.Add(blocks);
            for (var r = i; r < end; r++)
            {
                _rowIndex.Add(_rows[r].Row);
                _querySeq.Add(groupStarts.Count - 1);
                _queryPos.Add(c.ContextPrefix + (_rows[r].Position - c.Start));
                c.Scored[_rows[r].Position - c.Start] = true;
            }

            offset += blocks * blockSize;
            i = end;
        }

        _groups = groupStarts.Count;
        _maxBlocks = _tables.Max();
        _scratchRows = offset;
        var n = _rows.Count;

        // One upload: [key slots][row index][query sequence][query position]; block tables separately (2-D).
        var ints = HostInts(_scratchRows + (3 * n));
        _keySlots.CopyTo(ints);
        _rowIndex.CopyTo(ints[_scratchRows..]);
        _querySeq.CopyTo(ints[(_scratchRows + n)..]);
        _queryPos.CopyTo(ints[(_scratchRows + (2 * n))..]);
        _indices = Grow(_indices, _scratchRows + (3 * n), 1, DType.I32);
        var indices = _indices.View(0, _scratchRows + (3 * n));
        backend.Upload(ints, indices);
        _keySlotsView = indices.View(0, _scratchRows);
        _rowIndexView = indices.View(_scratchRows, n);
        var querySeq = indices.View(_scratchRows + n, n);
        var queryPos = indices.View(_scratchRows + (2 * n), n);

        // Block tables are [groups × width]; the buffer only ever widens, so a step allocates nothing once warm.
        if (_tableBuffer is null || _tableBuffer.Cols < _maxBlocks || _tableBuffer.Rows < _groups)
        {
            var width = Math.Max(_maxBlocks, _tableBuffer?.Cols ?? 0);
            var height = Math.Max(_groups, 2 * (_tableBuffer?.Rows ?? 4));
            _tableBuffer?.Dispose();
            _tableBuffer = backend.Allocate(height, width, DType.I32);
        }

        var stride = _tableBuffer.Cols;
        var flat = HostInts(_groups * stride);
        flat.Clear();
        for (var g = 0; g < _groups; g++)
        {
            for (var b = 0; b < _tables[g]; b++)
            {
                flat[(g * stride) + b] = groupStarts[g] + b;
            }
        }

        var tables = _tableBuffer.View(0, _groups);
        backend.Upload(flat, tables);
        _keys = Grow(_keys, _scratchRows, kvWidth, backend.CacheType);
        _values = Grow(_values, _scratchRows, kvWidth, backend.CacheType);
        _q = Grow(_q, n, heads * headDim, null);
        _output = Grow(_output, n, heads * headDim, null);
        _lse = Grow(_lse, 2 * layers * n, heads, DType.F32);
        _lseOwn = _lse.View(0, layers * n);
        _lseAll = _lse.View(layers * n, layers * n);
        _batch = new AttentionBatch(querySeq, queryPos, tables, _queryPos.Max() + 1);
    }

    public void AfterAttention(int layer, DeviceTensor queries, DeviceTensor lse, KvCachePool cache, AttentionShape shape)
    {
        if (_rows.Count == 0)
        {
            return;
        }

        var n = _rows.Count;
        var keys = _keys!.View(0, _scratchRows);
        var values = _values!.View(0, _scratchRows);
        var q = _q!.View(0, n);
        backend.GatherRows(cache.Keys(layer), _keySlotsView!, keys);
        backend.GatherRows(cache.Values(layer), _keySlotsView!, values);
        backend.GatherRows(queries, _rowIndexView!, q);
        backend.GatherRows(lse, _rowIndexView!, _lseAll!.View(layer * n, n));
        backend.PagedAttention(q, keys, values, _batch!, shape with { BlockSize = blockSize }, _output!.View(0, n), _lseOwn!.View(layer * n, n));
    }

    /// <summary>Reads both LSEs of every layer (one download), adds each scored token's share, and forgets the step's rows.</summary>
    public void Clear()
    {
        var n = _rows.Count;
        if (n > 0)
        {
            var count = 2 * layers * n * heads;
            if (_lseHost.Length < count)
            {
                _lseHost = new float[count];
            }

            backend.Download(_lse!.View(0, 2 * layers * n), _lseHost.AsSpan(0, count));
            var all = layers * n * heads;
            for (var l = 0; l < layers; l++)
            {
                for (var i = 0; i < n; i++)
                {
                    var share = 0f;
                    var baseIndex = ((l * n) + i) * heads;
                    for (var h = 0; h < heads; h++)
                    {
                        share += 1f - MathF.Exp(Math.Min(0f, _lseHost[baseIndex + h] - _lseHost[all + baseIndex + h]));
                    }

                    var (capture, _, position) = _rows[i];
                    capture.ScoreSums[position - capture.Start] += share / heads;
                }
            }
        }

        _rows.Clear();
        _candidates.Clear();
        _batch = null;
    }

    private Span<int> HostInts(int count)
    {
        if (_hostInts.Length < count)
        {
            _hostInts = new int[Math.Max(count, 2 * _hostInts.Length)];
        }

        return _hostInts.AsSpan(0, count);
    }

    /// <summary>A buffer of at least <paramref name="rows"/> rows, reallocated (doubling) only when too small.</summary>
    private DeviceTensor Grow(DeviceTensor? buffer, int rows, int cols, DType? type)
    {
        if (buffer is not null && buffer.Rows >= rows)
        {
            return buffer;
        }

        var capacity = Math.Max(rows, 2 * (buffer?.Rows ?? 0));
        buffer?.Dispose();
        return backend.Allocate(capacity, cols, type);
    }

    public void Dispose()
    {
        foreach (var t in new[] { _indices, _tableBuffer, _keys, _values, _q, _output, _lse })
        {
            t?.Dispose();
        }

        _indices = _tableBuffer = _keys = _values = _q = _output = _lse = null;
    }
}
