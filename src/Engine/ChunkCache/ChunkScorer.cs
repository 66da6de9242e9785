using InferMesh.Engine.KvCache;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// Cache-Craft's context-impact score, from attention log-sum-exps: for a token of a chunk, attention restricted to
/// its own context (the instructions plus its own chunk) has LSE_own, attention over the whole prompt LSE_all, so the
/// share of its attention mass that went to other chunks is 1 − exp(LSE_own − LSE_all). Per layer the own-context
/// keys are gathered into a small block-aligned scratch cache and the same PagedAttention kernel runs over them.
/// Scratch tensors are made once per step and both LSEs of every layer stay on the device until the step ends, so
/// scoring adds no host synchronisation inside the layer loop.
/// </summary>
public sealed class ChunkScorer(IComputeBackend backend, int kvWidth, int heads, int headDim, int blockSize, int layers) : IAttentionObserver
{
    private readonly List<(ChunkCapture Capture, int Row, int Position)> _rows = [];
    private DeviceTensor? _keySlots, _rowIndex, _querySeq, _queryPos, _tables;
    private DeviceTensor? _keys, _values, _q, _output, _lseOwn, _lseAll;
    private AttentionBatch? _batch;
    private int _scratchRows, _groups, _maxBlocks, _maxContext;
    private float[] _own = [], _all = [];

    public bool HasWork => _rows.Count > 0;

    /// <summary>Registers a batch row (at a chunk position) to score during the coming step.</summary>
    public void AddRow(ChunkCapture capture, int batchRow, int position) => _rows.Add((capture, batchRow, position));

    /// <summary>Builds this step's scratch layout (one group per chunk) once; every layer reuses it.</summary>
    public void Prepare()
    {
        DisposeStep();
        if (_rows.Count == 0)
        {
            return;
        }

        var groups = _rows.GroupBy(r => r.Capture).ToList();
        var keySlots = new List<int>();
        var querySeq = new List<int>();
        var queryPos = new List<int>();
        var rowIndex = new List<int>();
        var tables = new List<int[]>();
        var offset = 0;
        foreach (var g in groups)
        {
            var c = g.Key;
            var last = g.Max(r => r.Position);
            var positions = Enumerable.Range(0, c.ContextPrefix).Concat(Enumerable.Range(c.Start, last - c.Start + 1)).ToArray();
            var blocks = (positions.Length + blockSize - 1) / blockSize;
            foreach (var p in positions)
            {
                keySlots.Add(c.Sequence.SlotOf(p, blockSize));
            }

            for (var pad = positions.Length; pad < blocks * blockSize; pad++)
            {
                keySlots.Add(keySlots[^1]); // padding rows are never attended (beyond every query's position)
            }

            tables.Add(Enumerable.Range(offset / blockSize, blocks).ToArray());
            foreach (var (_, row, position) in g)
            {
                rowIndex.Add(row);
                querySeq.Add(tables.Count - 1);
                queryPos.Add(c.ContextPrefix + (position - c.Start));
            }

            offset += blocks * blockSize;
        }

        _groups = tables.Count;
        _maxBlocks = tables.Max(t => t.Length);
        _scratchRows = offset;
        _maxContext = queryPos.Max() + 1;
        _keySlots = Upload([.. keySlots], keySlots.Count, 1);
        _rowIndex = Upload([.. rowIndex], rowIndex.Count, 1);
        _querySeq = Upload([.. querySeq], querySeq.Count, 1);
        _queryPos = Upload([.. queryPos], queryPos.Count, 1);
        var flat = new int[_groups * _maxBlocks];
        for (var g = 0; g < _groups; g++)
        {
            tables[g].CopyTo(flat, g * _maxBlocks);
        }

        _tables = Upload(flat, _groups, _maxBlocks);
        var n = _rows.Count;
        _keys = backend.Allocate(_scratchRows, kvWidth, backend.CacheType);
        _values = backend.Allocate(_scratchRows, kvWidth, backend.CacheType);
        _q = backend.Allocate(n, heads * headDim);
        _output = backend.Allocate(n, heads * headDim);
        _lseOwn = backend.Allocate(layers * n, heads, DType.F32);
        _lseAll = backend.Allocate(layers * n, heads, DType.F32);
        _batch = new AttentionBatch(_querySeq, _queryPos, _tables, _maxContext);
        _own = new float[layers * n * heads];
        _all = new float[layers * n * heads];
    }

    public void AfterAttention(int layer, DeviceTensor queries, DeviceTensor lse, KvCachePool cache, AttentionShape shape)
    {
        if (_rows.Count == 0)
        {
            return;
        }

        var n = _rows.Count;
        backend.GatherRows(cache.Keys(layer), _keySlots!, _keys!);
        backend.GatherRows(cache.Values(layer), _keySlots!, _values!);
        backend.GatherRows(queries, _rowIndex!, _q!);
        backend.GatherRows(lse, _rowIndex!, _lseAll!.View(layer * n, n));
        backend.PagedAttention(_q!, _keys!, _values!, _batch!, shape with { BlockSize = blockSize }, _output!, _lseOwn!.View(layer * n, n));
    }

    /// <summary>Reads both LSEs of every layer once and adds each token's share of attention on other chunks.</summary>
    private void Accumulate()
    {
        var n = _rows.Count;
        backend.Download(_lseOwn!, _own);
        backend.Download(_lseAll!, _all);
        for (var l = 0; l < layers; l++)
        {
            for (var i = 0; i < n; i++)
            {
                var share = 0f;
                var baseIndex = ((l * n) + i) * heads;
                for (var h = 0; h < heads; h++)
                {
                    share += 1f - MathF.Exp(Math.Min(0f, _own[baseIndex + h] - _all[baseIndex + h]));
                }

                var (capture, _, position) = _rows[i];
                capture.ScoreSums[position - capture.Start] += share / heads;
            }
        }
    }

    /// <summary>Scores this step's rows and forgets them (call after the step's forward pass).</summary>
    public void Clear()
    {
        if (_rows.Count > 0 && _lseOwn is not null)
        {
            Accumulate();
        }

        _rows.Clear();
        DisposeStep();
    }

    private DeviceTensor Upload(int[] data, int rows, int cols)
    {
        var t = backend.Allocate(rows, cols, DType.I32);
        backend.Upload(data, t);
        return t;
    }

    private void DisposeStep()
    {
        foreach (var t in new[] { _keySlots, _rowIndex, _querySeq, _queryPos, _tables, _keys, _values, _q, _output, _lseOwn, _lseAll })
        {
            t?.Dispose();
        }

        _keySlots = _rowIndex = _querySeq = _queryPos = _tables = _keys = _values = _q = _output = _lseOwn = _lseAll = null;
        _batch = null;
    }
}
