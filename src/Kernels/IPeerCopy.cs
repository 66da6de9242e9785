namespace InferMesh.Kernels;

/// <summary>
/// Optional capability of a backend: copy a tensor straight into another backend's memory (GPU peer access, or a
/// copy between two contexts on one GPU) without staging through the host, ordered after the work already enqueued on
/// both sides and before the work enqueued after it. The Engine probes for it; it never asks which device it has.
/// </summary>
public interface IPeerCopy
{
    /// <summary>Whether <see cref="CopyToPeer"/> can reach <paramref name="target"/>'s memory.</summary>
    bool CanCopyTo(IComputeBackend target);

    void CopyToPeer(DeviceTensor source, IComputeBackend target, DeviceTensor destination);
}
