using InferMesh.Engine.KvCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// Runs a prompt through the model in chunks and keeps the logits of every position: the argmax at each position
/// and the full logits of the last one. This is how transformers' reference data is computed (one forward over
/// the prompt), and what `infermesh check` and the golden tests compare against.
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
        var argmax = new int[ids.Count];
        var last = new float[config.VocabSize];
        for (var start = 0; start < ids.Count; start += _chunk)
        {
            var n = Math.Min(_chunk, ids.Count - start);
            batch.Clear();
            batch.Add(tokens, start, n, table, needsLogits: true, allLogits: true);
            var logits = _model.Forward(batch, cache)!;
            _model.ArgmaxOnDevice(logits, argmax.AsSpan(start, n));
            if (start + n == ids.Count)
            {
                var all = new float[n * config.VocabSize];
                _backend.Download(logits, all);
                all.AsSpan((n - 1) * config.VocabSize, config.VocabSize).CopyTo(last);
            }
        }

        return (argmax, last);
    }

    public void Dispose() => _model.Dispose();
}
