using InferMesh.Engine.KvCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// Decode steps of small models are launch-bound (hundreds of small kernels per step), so on backends that can
/// capture (CUDA graphs) each decode shape — a batch-size bucket and a power-of-two context bound — is captured once
/// and replayed after uploading the step's inputs. Batches are padded up to their bucket (1, 2, 4, then multiples
/// of 8, as vLLM's capture sizes) with dummy rows whose KV goes to a reserved block, so the batch sizes a serving
/// engine passes through as requests come and go reuse a few graphs instead of capturing one each (a capture costs
/// an eager step plus instantiation, several decode steps' worth). Other steps (prefill, mixed) run eagerly.
/// </summary>
/// <param name="model">The model whose decode steps are captured.</param>
/// <param name="capture">The backend's graph capture.</param>
/// <param name="maxContext">The engine's context limit (the largest bound).</param>
/// <param name="maxSequences">The largest batch (buckets never exceed it).</param>
/// <param name="padBlock">A KV block no sequence owns, written by the padding rows.</param>
public sealed class DecodeGraphs(LlamaModel model, IGraphCapture capture, int maxContext, int maxSequences, int padBlock) : IDisposable
{
    private readonly Dictionary<(int Sequences, int Bound, bool Argmax), IReplayableGraph> _graphs = [];
    private readonly int[] _padBlockTable = [padBlock];

    public int Captured => _graphs.Count;

    public long Replays { get; private set; }

    /// <summary>Runs a pure decode step (one token per sequence, each sampling); returns the logits view.</summary>
    public DeviceTensor Run(StepBatch batch, KvCachePool cache, bool argmax)
    {
        var bound = Bound(batch.MaxContext);
        var bucket = Bucket(batch.SequenceCount, maxSequences);
        if (bucket > batch.SequenceCount)
        {
            batch.AddPadding(bucket - batch.SequenceCount, _padBlockTable);
        }

        model.UploadInputs(batch);
        var key = (batch.SequenceCount, bound, argmax);
        if (_graphs.TryGetValue(key, out var graph))
        {
            graph.Replay();
            Replays++;
            return model.LogitsView(batch.SequenceCount);
        }

        // First time at this shape: run eagerly (this step's result, and kernel compilation), then record the same work.
        var logits = Step(batch, cache, argmax, bound);
        capture.BeginCapture();
        Step(batch, cache, argmax, bound);
        _graphs[key] = capture.EndCapture();
        return logits;
    }

    private DeviceTensor Step(StepBatch batch, KvCachePool cache, bool argmax, int bound)
    {
        var logits = model.Compute(batch, cache, null, bound)!;
        if (argmax)
        {
            model.ArgmaxKernelOnly(logits);
        }

        return logits;
    }

    /// <summary>The captured batch size that serves <paramref name="sequences"/>: 1, 2, 4, then the next multiple of 8, at most <paramref name="max"/>.</summary>
    public static int Bucket(int sequences, int max)
    {
        var bucket = sequences <= 4 ? (sequences <= 1 ? 1 : sequences <= 2 ? 2 : 4) : (sequences + 7) / 8 * 8;
        return Math.Max(sequences, Math.Min(bucket, max));
    }

    private int Bound(int context)
    {
        var bound = 256;
        while (bound < context)
        {
            bound *= 2;
        }

        return Math.Min(bound, Math.Max(maxContext, context));
    }

    public void Dispose()
    {
        foreach (var g in _graphs.Values)
        {
            g.Dispose();
        }

        _graphs.Clear();
    }
}
