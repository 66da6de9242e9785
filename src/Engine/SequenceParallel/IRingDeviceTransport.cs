using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Optional capability of a ring transport whose members live in one process: move a tensor device to device
/// (<see cref="IPeerCopy"/>) instead of through host payloads. <see cref="RingLink"/> tries it first.
/// </summary>
public interface IRingDeviceTransport
{
    /// <summary>
    /// Copies <paramref name="source"/> (on <paramref name="from"/>) into staging on member <paramref name="to"/>'s device
    /// and delivers it as message <paramref name="tag"/>; false when the two devices cannot reach each other directly.
    /// </summary>
    bool TrySendOnDevice(int to, RingTag tag, IComputeBackend from, DeviceTensor source);
}
