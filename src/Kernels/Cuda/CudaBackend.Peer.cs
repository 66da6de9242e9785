using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend : IPeerCopy
{
    private readonly Dictionary<CudaBackend, PeerLink> peerLinks = [];
    private AcceleratorStream? transferStream;
    private IntPtr producedEvent, consumedEvent, copiedEvent;
    private byte[] peerStaging = [];

    /// <summary>CUDA device ordinal of this backend (−1 on the simulated device).</summary>
    public int DeviceOrdinal => accelerator is CudaAccelerator cuda ? cuda.DeviceId : -1;

    /// <summary>How <see cref="CopyToPeer"/> moves bytes to <paramref name="target"/> (enables peer access between two GPUs on first use).</summary>
    public PeerLink LinkTo(CudaBackend target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (ReferenceEquals(target, this))
            return PeerLink.SameBackend;
        if (peerLinks.TryGetValue(target, out var known))
            return known;
        PeerLink link;
        if (driver is null || target.driver is null)
        {
            link = PeerLink.HostStaged;
        }
        else if (DeviceOrdinal == target.DeviceOrdinal)
        {
            link = PeerLink.SameDevice;
        }
        else if (driver.CanAccessPeer(DeviceOrdinal, target.DeviceOrdinal) && driver.CanAccessPeer(target.DeviceOrdinal, DeviceOrdinal))
        {
            // Both directions: TokenRing sends queries one way and partial results the other.
            Enter();
            driver.EnablePeerAccess(target.accelerator.NativePtr);
            target.Enter();
            target.driver.EnablePeerAccess(accelerator.NativePtr);
            link = PeerLink.DirectPeer;
        }
        else
        {
            link = PeerLink.HostStaged;
        }

        peerLinks[target] = link;
        target.peerLinks[this] = link;
        return link;
    }

    /// <summary>
    /// Copies <paramref name="source"/> (this backend's) into <paramref name="destination"/> (of <paramref name="target"/>:
    /// another context on the same GPU, another GPU, or this backend) with cuMemcpyPeerAsync on this backend's transfer
    /// stream, ordered as if it were synchronous: the copy starts once the work enqueued so far on both backends has run
    /// (the source is written, the destination's old contents are read), and work enqueued afterwards on either backend
    /// (which may overwrite the source or read the destination) starts after the copy. Events carry the ordering across
    /// streams, contexts and devices, so neither host thread waits and other work on both GPUs overlaps the copy.
    /// </summary>
    /// <summary>Real devices reach each other through the driver (peer access, or within one GPU); the simulated device does not.</summary>
    public bool CanCopyTo(IComputeBackend target) => target is CudaBackend other && driver is not null && other.driver is not null;

    public void CopyToPeer(DeviceTensor source, IComputeBackend target, DeviceTensor destination) =>
        CopyToPeer(source, target as CudaBackend ?? throw new ArgumentException($"{target?.DeviceName} is not a CUDA backend; check CanCopyTo first.", nameof(target)), destination);

    public void CopyToPeer(DeviceTensor source, CudaBackend target, DeviceTensor destination)
    {
        Enter();
        ArgumentNullException.ThrowIfNull(target);
        RefuseWhileCapturing(nameof(CopyToPeer));
        var from = Own(source, nameof(source));
        var to = target.Own(destination, nameof(destination));
        if (from.DType != to.DType || from.Rows != to.Rows || from.Cols != to.Cols)
            throw new ArgumentException($"Copy from {from} on {DeviceName} to {to} on {target.DeviceName}: shapes and types must match.", nameof(destination));
        if (ReferenceEquals(target, this))
        {
            Copy(from, to);
            return;
        }

        if (from.ElementCount > 0)
        {
            if (driver is null || target.driver is null)
                CopyThroughHost(from, target, to);
            else
                CopyPeerAsync(from, target, to);
        }

        to.Mirror?.CopyFrom(from.Mirror, from.MirrorOffset, to.MirrorOffset, checked((int)to.ElementCount));
    }

    private void CopyPeerAsync(CudaTensor from, CudaBackend target, CudaTensor to)
    {
        LinkTo(target);
        IntPtr transfer = TransferStream();
        target.Enter();
        target.EnsureTransferEvents();
        target.driver!.Record(target.consumedEvent, target.StreamPtr);
        Enter();
        EnsureTransferEvents();
        driver!.Record(producedEvent, StreamPtr);
        driver.Wait(transfer, producedEvent);
        driver.Wait(transfer, target.consumedEvent);
        driver.CopyPeer(to.DevicePointer, target.accelerator.NativePtr, from.DevicePointer, accelerator.NativePtr, from.ByteLength, transfer);
        driver.Record(copiedEvent, transfer);
        driver.Wait(StreamPtr, copiedEvent);
        target.Enter();
        target.driver.Wait(target.StreamPtr, copiedEvent);
    }

    /// <summary>The simulated device has no driver: bytes go through host memory, synchronously.</summary>
    private void CopyThroughHost(CudaTensor from, CudaBackend target, CudaTensor to)
    {
        int bytes = checked((int)from.ByteLength);
        if (peerStaging.Length < bytes)
            peerStaging = new byte[bytes];
        CopyOut(from.Bytes, peerStaging.AsSpan(0, bytes));
        target.Enter();
        target.CopyIn(to.Bytes, (ReadOnlySpan<byte>)peerStaging.AsSpan(0, bytes));
        target.stream.Synchronize();
    }

    private IntPtr StreamPtr => ((CudaStream)stream).StreamPtr;

    private IntPtr TransferStream()
    {
        transferStream ??= accelerator.CreateStream();
        return ((CudaStream)transferStream).StreamPtr;
    }

    private void EnsureTransferEvents()
    {
        if (producedEvent != IntPtr.Zero)
            return;
        producedEvent = driver!.CreateEvent(CudaDriverLibrary.EventDisableTiming);
        consumedEvent = driver.CreateEvent(CudaDriverLibrary.EventDisableTiming);
        copiedEvent = driver.CreateEvent(CudaDriverLibrary.EventDisableTiming);
    }

    /// <summary>Releases the transfer stream and events (called from Dispose with the context bound).</summary>
    private void DisposeTransfer()
    {
        transferStream?.Synchronize();
        transferStream?.Dispose();
        if (producedEvent == IntPtr.Zero)
            return;
        driver!.DestroyEvent(producedEvent);
        driver.DestroyEvent(consumedEvent);
        driver.DestroyEvent(copiedEvent);
    }
}
