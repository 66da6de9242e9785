using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// In-process transport through host memory: download from the sender's backend into a staging buffer, upload to the
/// receiver's. The first implementation (members may be different backends); peer copies come with multi-GPU.
/// </summary>
public sealed class HostRingTransport : IRingTransport
{
    private float[] _floats = [];
    private int[] _ints = [];

    public long BytesMoved { get; private set; }

    public int Transfers { get; private set; }

    public void Transfer(RingMember from, DeviceTensor source, RingMember to, DeviceTensor destination)
    {
        if (source.Rows != destination.Rows || source.Cols != destination.Cols)
        {
            throw new ArgumentException($"cannot transfer {source} from member {from.Index} into {destination} on member {to.Index}: the shapes differ.", nameof(destination));
        }

        var count = checked((int)source.ElementCount);
        if (source.DType == DType.I32)
        {
            if (_ints.Length < count)
            {
                _ints = new int[count];
            }

            from.Backend.Download(source, _ints.AsSpan(0, count));
            to.Backend.Upload(_ints.AsSpan(0, count), destination);
        }
        else
        {
            if (_floats.Length < count)
            {
                _floats = new float[count];
            }

            from.Backend.Download(source, _floats.AsSpan(0, count));
            to.Backend.Upload(_floats.AsSpan(0, count), destination);
        }

        BytesMoved += source.ElementCount * ElementSize(source.DType);
        Transfers++;
    }

    private static int ElementSize(DType type) => type is DType.F16 or DType.BF16 ? 2 : 4;
}
