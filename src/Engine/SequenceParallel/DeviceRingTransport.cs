using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Moves ring tensors device to device wherever the backends allow: between CUDA members by
/// <see cref="CudaBackend.CopyToPeer"/> (peer access between GPUs, or a copy within one GPU when members share it;
/// on a transfer stream ordered by events, so no host thread waits), on the stream of a backend two members share, and
/// through host memory for any other pair (CPU members, mixed backends).
/// </summary>
public sealed class DeviceRingTransport : IRingTransport
{
    private readonly HostRingTransport _host = new();

    public long BytesMoved { get; private set; }

    public int Transfers { get; private set; }

    /// <summary>How two backends of a ring exchange tensors, for reports.</summary>
    public static string Describe(IComputeBackend from, IComputeBackend to) => (from, to) switch
    {
        (CudaBackend a, CudaBackend b) => a.LinkTo(b) switch
        {
            PeerLink.SameBackend => "one backend (device copy)",
            PeerLink.SameDevice => "two contexts on one GPU (copy within device memory)",
            PeerLink.DirectPeer => "peer access between GPUs (NVLink or PCIe peer-to-peer)",
            _ => "staged through host memory by the driver (no peer access)",
        },
        _ when ReferenceEquals(from, to) => "one backend (device copy)",
        _ => "through host memory (download, upload)",
    };

    public void Transfer(RingMember from, DeviceTensor source, RingMember to, DeviceTensor destination)
    {
        if (source.Rows != destination.Rows || source.Cols != destination.Cols || source.DType != destination.DType)
        {
            throw new ArgumentException($"cannot transfer {source} from member {from.Index} into {destination} on member {to.Index}: shapes and types must match.", nameof(destination));
        }

        if (from.Backend is CudaBackend sender && to.Backend is CudaBackend receiver)
        {
            sender.CopyToPeer(source, receiver, destination);
        }
        else if (ReferenceEquals(from.Backend, to.Backend))
        {
            from.Backend.Copy(source, destination);
        }
        else
        {
            _host.Transfer(from, source, to, destination);
        }

        BytesMoved += source.ElementCount * (source.DType is DType.F16 or DType.BF16 ? 2 : 4);
        Transfers++;
    }
}
