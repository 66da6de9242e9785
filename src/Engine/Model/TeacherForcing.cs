using InferMesh.Engine.KvCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// Runs a prompt through the model in chunks and keeps the logits of every position: the argmax at each position
/// and the full logits of the last one. This is how transformers' reference data is computed (one forward over
/// the prompt), and what `infermesh check`, `infermesh logits` and the golden tests compare against.
/// </summary>
public sealed class TeacherForcing : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly LlamaWeights _weights;
    private readonly int _chunk;
    private readonly int _blockSize;
    private readonly LlamaModel _model;

    public TeacherForcing(IComputeBackend backend, LlamaWeights weights, int chunk = 64, int blockSize = 16, int maxContext = 8192)
    {
        _backend = backend;
        _weights = weights;
        _chunk = chunk;
        _blockSize = blockSize;
        MaxContext = maxContext;
        _model = new LlamaModel(backend, weights, blockSize, chunk, chunk, (maxContext + blockSize - 1) / blockSize);
    }

    public int MaxContext { get; }

    /// <summary>Argmax at every position and the logits of the last position of <paramref name="ids"/>.</summary>
    public (int[] Argmax, float[] LastLogits) Run(IReadOnlyList<int> ids)
    {
        var argmax = new int[ids.Count];
        var last = new float[_weights.Config.VocabSize];
        float[]? all = null;
        ForEachChunk(ids, (start, n, logits) =>
        {
            _model.ArgmaxOnDevice(logits, argmax.AsSpan(start, n));
            if (start + n == ids.Count)
            {
                all = new float[n * last.Length];
                _backend.Download(logits, all);
                all.AsSpan((n - 1) * last.Length, last.Length).CopyTo(last);
            }
        });
        return (argmax, last);
    }

    /// <summary>
    /// Writes the logits of every position of <paramref name="ids"/> to <paramref name="destination"/> as
    /// little-endian float32, row-major [positions × vocab] (`infermesh logits`, compared with transformers position by
    /// position); a chunk at a time, so a long prompt never needs them all in memory.
    /// </summary>
    public void WriteAllLogits(IReadOnlyList<int> ids, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("logits are written as little-endian float32; this machine is big-endian.");
        }

        var vocab = _weights.Config.VocabSize;
        var rows = new float[checked(Math.Min(_chunk, ids.Count) * vocab)];
        ForEachChunk(ids, (_, n, logits) =>
        {
            var span = rows.AsSpan(0, n * vocab);
            _backend.Download(logits, span);
            destination.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(span));
        });
    }

    /// <summary>Prefills <paramref name="ids"/> chunk by chunk into a fresh cache, handing each chunk's logits (all rows) to <paramref name="onChunk"/>.</summary>
    private void ForEachChunk(IReadOnlyList<int> ids, Action<int, int, DeviceTensor> onChunk)
    {
        if (ids.Count == 0 || ids.Count > MaxContext)
        {
            throw new ArgumentOutOfRangeException(nameof(ids), $"prompt of {ids.Count} tokens; teacher forcing takes 1..{MaxContext}.");
        }

        var config = _weights.Config;
        var blocks = (ids.Count + _blockSize - 1) / _blockSize;
        using var cache = new KvCachePool(_backend, config.NumHiddenLayers, blocks, _blockSize, config.NumKeyValueHeads * config.HeadDim);
        var table = Enumerable.Range(0, blocks).ToArray();
        var tokens = ids.ToArray();
        var batch = new StepBatch(_chunk, _chunk, (MaxContext + _blockSize - 1) / _blockSize, _blockSize);
        for (var start = 0; start < ids.Count; start += _chunk)
        {
            var n = Math.Min(_chunk, ids.Count - start);
            batch.Clear();
            batch.Add(tokens, start, n, table, needsLogits: true, allLogits: true);
            var logits = _model.Forward(batch, cache)
                ?? throw new InvalidOperationException("the model returned no logits (a pipeline stage other than the last?).");
            onChunk(start, n, logits);
        }
    }

    public void Dispose() => _model.Dispose();
}
