namespace InferMesh.Kernels.Cuda;

/// <summary>An instantiated CUDA graph (cuGraphExec) replayed on the backend's stream.</summary>
internal sealed class CudaGraph(CudaBackend owner, CudaDriverLibrary driver, IntPtr executable) : IReplayableGraph
{
    private IntPtr executable = executable;

    public void Replay()
    {
        ObjectDisposedException.ThrowIf(executable == IntPtr.Zero, this);
        owner.Launch(executable);
    }

    public void Dispose()
    {
        if (executable == IntPtr.Zero)
            return;
        driver.DestroyExec(executable);
        executable = IntPtr.Zero;
    }
}
