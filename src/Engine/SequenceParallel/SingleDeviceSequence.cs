using InferMesh.Engine.KvCache;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// One sequence on one device with its own paged KV cache (block table 0, 1, 2, … so slot = position): filled either by
/// chunked prefill through <see cref="LlamaModel"/> — the engine's forward pass, chunk by chunk — or by importing the KV
/// a ring's members hold after sequence-parallel prefill, then continued by greedy decoding. This is how a ring's
/// result is checked end to end: same last-position logits and the same greedy continuation as single-device prefill.
/// Decode after a ring gathers the KV to one device rather than merging per-member partial attention of each new token:
/// a decode step reads the whole KV once either way, and one device avoids N round trips per token and layer.
/// </summary>
public sealed class SingleDeviceSequence : IRingKvSink, IDisposable
{
    private const int BlockSize = 16;
    private readonly IComputeBackend _backend;
    private readonly LlamaModel _model;
    private readonly KvCachePool _cache;
    private readonly StepBatch _batch;
    private readonly int[] _table;
    private readonly int[] _tokens;
    private readonly int _chunk;

    /// <param name="capacity">Most tokens the sequence will hold (prompt + continuation).</param>
    /// <param name="chunk">Prefill chunk: query rows per forward step.</param>
    public SingleDeviceSequence(IComputeBackend backend, LlamaWeights weights, int capacity, int chunk)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        _backend = backend;
        _chunk = chunk;
        var config = weights.Config;
        var blocks = (capacity + BlockSize - 1) / BlockSize;
        _table = Enumerable.Range(0, blocks).ToArray();
        _tokens = new int[blocks * BlockSize];
        _model = new LlamaModel(backend, weights, BlockSize, chunk, 1, blocks);
        _cache = new KvCachePool(backend, config.NumHiddenLayers, blocks, BlockSize, config.NumKeyValueHeads * config.HeadDim);
        _batch = new StepBatch(chunk, 1, blocks, BlockSize);
    }

    /// <summary>Tokens whose KV the cache holds.</summary>
    public int Length { get; private set; }

    public int Capacity => _tokens.Length;

    /// <summary>Prefills <paramref name="ids"/> from position 0 in chunks and returns the last position's logits.</summary>
    public float[] Prefill(IReadOnlyList<int> ids)
    {
        CheckCapacity(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            _tokens[i] = ids[i];
        }

        DeviceTensor? logits = null;
        for (var start = 0; start < ids.Count; start += _chunk)
        {
            var n = Math.Min(_chunk, ids.Count - start);
            _batch.Clear();
            _batch.Add(_tokens, start, n, _table, needsLogits: start + n == ids.Count);
            logits = _model.Forward(_batch, _cache);
        }

        Length = ids.Count;
        var result = new float[_model.Config.VocabSize];
        _backend.Download(logits!, result);
        return result;
    }

    /// <summary>
    /// Stores one layer's KV rows gathered from a ring member (<see cref="SequenceParallelPrefill.Run(int, IRingKvSink)"/>)
    /// at slot = position; the sequence's length becomes the highest position stored + 1.
    /// </summary>
    public void Write(int layer, DeviceTensor keys, DeviceTensor values, IReadOnlyList<int> positions)
    {
        var rows = positions.Count;
        var top = positions.Max() + 1;
        CheckCapacity(top);
        using var slots = _backend.Allocate(rows, 1, DType.I32);
        _backend.Upload(positions as int[] ?? positions.ToArray(), slots);
        _backend.WriteKv(keys, values, _cache.Keys(layer), _cache.Values(layer), slots);
        Length = Math.Max(Length, top);
    }

    /// <summary>
    /// Greedy continuation: the argmax of <paramref name="lastLogits"/> (the logits after the last cached position),
    /// then <paramref name="count"/> − 1 decode steps each feeding back its argmax. Returns the <paramref name="count"/> tokens.
    /// </summary>
    public int[] Greedy(ReadOnlySpan<float> lastLogits, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        CheckCapacity(Length + count - 1);
        var tokens = new int[count];
        var next = new int[1];
        tokens[0] = Argmax(lastLogits);
        for (var i = 1; i < count; i++)
        {
            var position = Length;
            _tokens[position] = tokens[i - 1];
            _batch.Clear();
            _batch.Add(_tokens, position, 1, _table, needsLogits: true);
            var logits = _model.Forward(_batch, _cache)!;
            _model.ArgmaxOnDevice(logits, next);
            tokens[i] = next[0];
            Length++;
        }

        return tokens;
    }

    /// <summary>Index of the largest value (lowest index among ties), as the device argmax picks.</summary>
    public static int Argmax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    public void Dispose()
    {
        _model.Dispose();
        _cache.Dispose();
    }

    private void CheckCapacity(int tokens)
    {
        if (tokens > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"the sequence was sized for {Capacity} tokens; create it with a larger capacity.");
        }
    }
}
