using InferMesh.Engine.KvCache;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// Cache-Craft's context-impact score, from attention log-sum-exps: for a token of a chunk, attention restricted to
/// its own context (the instructions plus its own chunk) has LSE_own, attention over the whole prompt LSE_all, so the
/// share of its attention mass that went to other chunks is 1 − exp(LSE_own − LSE_all). Per layer the own-context
/// keys are gathered into a small block-aligned scratch cache and the same PagedAttention kernel runs over them.
/// </summary>
public sealed class ChunkScorer(IComputeBackend backend, int kvWidth, int heads, int headDim, int blockSize) : IAttentionObserver
{
    private readonly List<(ChunkCapture Capture, int Row, int Position)> _rows = [];
    private DeviceTensor? _keySlots, _rowIndex, _querySeq, _queryPos, _tables;
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
                keySlots.Add(Slot(c, p));
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
        _own = new float[_rows.Count * heads];
        _all = new float[_rows.Count * heads];
    }

    public void AfterAttention(int layer, DeviceTensor queries, DeviceTensor lse, KvCachePool cache, AttentionShape shape)
    {
        if (_rows.Count == 0)
        {
            return;
        }

        var n = _rows.Count;
        using var keys = backend.Allocate(_scratchRows, kvWidth, backend.CacheType);
        using var values = backend.Allocate(_scratchRows, kvWidth, backend.CacheType);
        using var q = backend.Allocate(n, heads * headDim);
        using var output = backend.Allocate(n, heads * headDim);
        using var lseOwn = backend.Allocate(n, heads, DType.F32);
        using var lseAll = backend.Allocate(n, heads, DType.F32);
        backend.GatherRows(cache.Keys(layer), _keySlots!, keys);
        backend.GatherRows(cache.Values(layer), _keySlots!, values);
        backend.GatherRows(queries, _rowIndex!, q);
        backend.GatherRows(lse, _rowIndex!, lseAll);
        var batch = new AttentionBatch(_querySeq!, _queryPos!, _tables!, _maxContext);
        backend.PagedAttention(q, keys, values, batch, shape with { BlockSize = blockSize }, output, lseOwn);
        backend.Download(lseOwn, _own);
        backend.Download(lseAll, _all);
        for (var i = 0; i < n; i++)
        {
            var share = 0f;
            for (var h = 0; h < heads; h++)
            {
                share += 1f - MathF.Exp(Math.Min(0f, _own[(i * heads) + h] - _all[(i * heads) + h]));
            }

            var (capture, _, position) = _rows[i];
            capture.ScoreSums[position - capture.Start] += share / heads;
        }
    }

    /// <summary>Forgets this step's rows (call after the step).</summary>
    public void Clear()
    {
        _rows.Clear();
        DisposeStep();
    }

    private int Slot(ChunkCapture c, int position) =>
        (c.Sequence.Blocks[position / blockSize] * blockSize) + (position % blockSize);

    private DeviceTensor Upload(int[] data, int rows, int cols)
    {
        var t = backend.Allocate(rows, cols, DType.I32);
        backend.Upload(data, t);
        return t;
    }

    private void DisposeStep()
    {
        foreach (var t in new[] { _keySlots, _rowIndex, _querySeq, _queryPos, _tables })
        {
            t?.Dispose();
        }

        _keySlots = _rowIndex = _querySeq = _queryPos = _tables = null;
    }
}
