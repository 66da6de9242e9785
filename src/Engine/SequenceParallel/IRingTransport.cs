using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>Moves a tensor from one ring member's device to another's (peer copy, host staging, or a network message).</summary>
public interface IRingTransport
{
    /// <summary>Bytes moved so far, counted at the element size the tensors are stored in.</summary>
    long BytesMoved { get; }

    /// <summary>Transfers made so far.</summary>
    int Transfers { get; }

    /// <summary>Copies <paramref name="source"/> on <paramref name="from"/> into <paramref name="destination"/> (same shape) on <paramref name="to"/>.</summary>
    void Transfer(RingMember from, DeviceTensor source, RingMember to, DeviceTensor destination);
}
