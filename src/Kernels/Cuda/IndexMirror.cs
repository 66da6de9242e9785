namespace InferMesh.Kernels.Cuda;

/// <summary>
/// The host's copy of an I32 buffer's contents as the stream will hold them once the work enqueued so far has run:
/// kept up to date by uploads and by copies from another mirrored buffer. Operations that need index values on the
/// host (block attention's key ranges) read it instead of waiting for the stream, so a ring of devices driven from
/// one thread is never serialised by a download. The first time a kernel writes the buffer the mirror is given up
/// for good (its values could no longer be known without a download), and readers fall back to downloading.
/// </summary>
internal sealed class IndexMirror(long count)
{
    // Zeroed, as Allocate zeroes the device buffer.
    private readonly int[] values = new int[count];

    /// <summary>False once a kernel or an unmirrored copy wrote the buffer.</summary>
    public bool Known { get; private set; } = true;

    public void Write(long offset, ReadOnlySpan<int> data)
    {
        if (Known)
            data.CopyTo(values.AsSpan(checked((int)offset), data.Length));
    }

    /// <summary>Copies <paramref name="count"/> values of <paramref name="source"/> from <paramref name="sourceOffset"/>, or gives up when the source is unknown.</summary>
    public void CopyFrom(IndexMirror? source, long sourceOffset, long offset, int count)
    {
        if (source is { Known: true })
            Write(offset, source.values.AsSpan(checked((int)sourceOffset), count));
        else
            Forget();
    }

    public void Forget() => Known = false;

    /// <summary>The values of [offset, offset+count), or false when they are not known on the host.</summary>
    public bool TryRead(long offset, int count, out ReadOnlySpan<int> data)
    {
        data = Known ? values.AsSpan(checked((int)offset), count) : default;
        return Known;
    }
}
