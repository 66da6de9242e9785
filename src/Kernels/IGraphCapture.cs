namespace InferMesh.Kernels;

/// <summary>
/// Optional capability of a compute backend: record a fixed sequence of operations once and replay it with a single
/// launch, removing per-kernel launch overhead from small decode steps (a CUDA graph on the CUDA backend).
/// <para>
/// Between <see cref="BeginCapture"/> and <see cref="EndCapture"/> operations are recorded, not executed; uploads,
/// downloads, allocations and <see cref="IComputeBackend.Synchronize"/> are refused. A replay reruns exactly the
/// recorded launches on the same tensors with the same shapes: refresh inputs with Upload before each replay, keep
/// every tensor used alive while the graph exists, and capture attention with an AttentionBatch.MaxContext that
/// bounds every position the replays will see. Run the sequence once uncaptured first so kernels are compiled.
/// </para>
/// </summary>
public interface IGraphCapture
{
    /// <summary>Starts recording the operations enqueued from now on.</summary>
    void BeginCapture();

    /// <summary>Stops recording and returns the replayable graph of everything enqueued since <see cref="BeginCapture"/>.</summary>
    IReplayableGraph EndCapture();
}
