using System.Runtime.InteropServices;
using InferMesh.Engine.KvCache;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.Verification;

/// <summary>
/// The full logits of every position of a prompt, teacher forced in chunks exactly as <see cref="TeacherForcing"/>
/// runs it (same model, step batch and KV layout), for comparing with another implementation position by position
/// (`infermesh logits`). Logits leave the device chunk by chunk as F32 and are written to a stream as little-endian
/// float32, row-major [positions × vocab], so a long prompt never needs them all in host memory at once.
/// </summary>
public sealed class TeacherForcedLogits : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly LlamaWeights _weights;
    private readonly int _chunk;
    private readonly int _blockSize;
    private readonly LlamaModel _model;

    /// <param name="chunk">Rows per forward step; the logits buffer holds chunk × vocab floats on the device.</param>
    public TeacherForcedLogits(IComputeBackend backend, LlamaWeights weights, int chunk, int blockSize, int maxContext)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        _backend = backend;
        _weights = weights;
        _chunk = chunk;
        _blockSize = blockSize;
        MaxContext = maxContext;
        _model = new LlamaModel(backend, weights, blockSize, chunk, chunk, (maxContext + blockSize - 1) / blockSize);
    }

    public int MaxContext { get; }

    public int VocabSize => _weights.Config.VocabSize;

    /// <summary>Writes the logits of every position of <paramref name="ids"/> to <paramref name="destination"/>.</summary>
    public void Run(IReadOnlyList<int> ids, Stream destination)
    {
        if (ids.Count == 0 || ids.Count > MaxContext)
        {
            throw new ArgumentOutOfRangeException(nameof(ids), $"prompt of {ids.Count} tokens; teacher forcing takes 1..{MaxContext}.");
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("logits are written as little-endian float32; this machine is big-endian.");
        }

        var config = _weights.Config;
        var blocks = (ids.Count + _blockSize - 1) / _blockSize;
        using var cache = new KvCachePool(_backend, config.NumHiddenLayers, blocks, _blockSize, config.NumKeyValueHeads * config.HeadDim);
        var table = Enumerable.Range(0, blocks).ToArray();
        var tokens = ids.ToArray();
        var batch = new StepBatch(_chunk, _chunk, (MaxContext + _blockSize - 1) / _blockSize, _blockSize);
        var rows = new float[Math.Min(_chunk, ids.Count) * config.VocabSize];
        for (var start = 0; start < ids.Count; start += _chunk)
        {
            var n = Math.Min(_chunk, ids.Count - start);
            batch.Clear();
            batch.Add(tokens, start, n, table, needsLogits: true, allLogits: true);
            var logits = _model.Forward(batch, cache)
                ?? throw new InvalidOperationException("the model returned no logits (a pipeline stage other than the last?).");
            var span = rows.AsSpan(0, n * config.VocabSize);
            _backend.Download(logits, span);
            destination.Write(MemoryMarshal.AsBytes(span));
        }
    }

    public void Dispose() => _model.Dispose();
}
