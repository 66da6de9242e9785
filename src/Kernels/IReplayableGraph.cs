namespace InferMesh.Kernels;

/// <summary>A captured sequence of backend operations (see <see cref="IGraphCapture"/>).</summary>
public interface IReplayableGraph : IDisposable
{
    /// <summary>Enqueues the whole recorded sequence on the backend's stream, in order with other operations.</summary>
    void Replay();
}
