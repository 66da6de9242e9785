using InferMesh.Engine.Tests.ChunkCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// A CPU stand-in for CUDA graphs: between BeginCapture and EndCapture kernel-like operations are recorded instead
/// of run, and a replay reruns them on the same tensors — what a CUDA graph does — so graph-captured decode
/// (DecodeGraphs, its batch padding) can be checked against eager decode on machines without a GPU.
/// </summary>
internal sealed class GraphRecordingBackend(IComputeBackend inner) : CountingBackend(inner), IGraphCapture
{
    private List<Action>? _recording;

    public int Captures { get; private set; }

    public long Replays { get; private set; }

    public void BeginCapture()
    {
        if (_recording is not null)
        {
            throw new InvalidOperationException("BeginCapture called while a capture is in progress.");
        }

        _recording = [];
    }

    public IReplayableGraph EndCapture()
    {
        var recorded = _recording ?? throw new InvalidOperationException("EndCapture called without BeginCapture.");
        _recording = null;
        Captures++;
        return new RecordedGraph(this, [.. recorded]);
    }

    protected override void Launch(Action operation)
    {
        if (_recording is { } recording)
        {
            recording.Add(operation);
            return;
        }

        base.Launch(operation);
    }

    private sealed class RecordedGraph(GraphRecordingBackend owner, Action[] operations) : IReplayableGraph
    {
        public void Replay()
        {
            owner.Replays++;
            foreach (var operation in operations)
            {
                operation();
            }
        }

        public void Dispose()
        {
        }
    }
}
