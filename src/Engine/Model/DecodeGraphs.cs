using InferMesh.Engine.KvCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// Decode steps of small models are launch-bound (hundreds of small kernels per step), so on backends that can
/// capture (CUDA graphs) each decode shape — batch size and a power-of-two context bound — is captured once and
/// replayed after uploading the step's inputs. Other steps (prefill, mixed) run eagerly.
/// </summary>
public sealed class DecodeGraphs(LlamaModel model, IGraphCapture capture, int maxContext) : IDisposable
{
    private readonly Dictionary<(int Sequences, int Bound, bool Argmax), IReplayableGraph> _graphs = [];

    public int Captured => _graphs.Count;

    public long Replays { get; private set; }

    /// <summary>Runs a pure decode step (one token per sequence, each sampling); returns the logits view.</summary>
    public DeviceTensor Run(StepBatch batch, KvCachePool cache, bool argmax)
    {
        var bound = Bound(batch.MaxContext);
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
