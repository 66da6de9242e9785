namespace InferMesh.Kernels.Cpu;

/// <summary>
/// A tensor in host memory: F32 tensors are backed by a <c>float[]</c>, I32 tensors by an <c>int[]</c>. A view shares
/// its parent's array and starts at an element offset, so views of rows cost no copy.
/// </summary>
public sealed class CpuTensor : DeviceTensor
{
    private float[]? _floats;
    private int[]? _ints;

    internal CpuTensor(float[] storage, int offset, int rows, int cols)
        : base(rows, cols, DType.F32)
    {
        _floats = storage;
        Offset = offset;
    }

    internal CpuTensor(int[] storage, int offset, int rows, int cols)
        : base(rows, cols, DType.I32)
    {
        _ints = storage;
        Offset = offset;
    }

    /// <summary>Index of element [0, 0] in the backing array.</summary>
    internal int Offset { get; }

    internal int Length => Rows * Cols;

    /// <summary>The backing array of an F32 tensor (shared with views; element [r, c] is at Offset + r·Cols + c).</summary>
    internal float[] FloatArray => _floats ?? throw Unusable(DType.F32);

    /// <summary>The backing array of an I32 tensor.</summary>
    internal int[] IntArray => _ints ?? throw Unusable(DType.I32);

    /// <summary>The elements of this F32 tensor, row-major.</summary>
    public Span<float> AsFloatSpan() => FloatArray.AsSpan(Offset, Length);

    /// <summary>The elements of this I32 tensor, row-major.</summary>
    public Span<int> AsIntSpan() => IntArray.AsSpan(Offset, Length);

    internal Span<float> FloatRow(int row) => FloatArray.AsSpan(Offset + (row * Cols), Cols);

    internal Span<int> IntRow(int row) => IntArray.AsSpan(Offset + (row * Cols), Cols);

    public override DeviceTensor View(int rowStart, int rowCount)
    {
        if (rowStart < 0 || rowCount < 0 || rowStart > Rows - rowCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(rowStart), $"View of rows [{rowStart}, {rowStart + rowCount}) does not fit in {this} (rows 0..{Rows}).");
        }

        int offset = Offset + (rowStart * Cols);
        return DType == DType.F32
            ? new CpuTensor(FloatArray, offset, rowCount, Cols)
            : new CpuTensor(IntArray, offset, rowCount, Cols);
    }

    /// <summary>Drops this tensor's reference to its storage; views made earlier keep theirs (the GC frees the array).</summary>
    public override void Dispose()
    {
        _floats = null;
        _ints = null;
    }

    private InvalidOperationException Unusable(DType wanted) =>
        DType == wanted
            ? new ObjectDisposedException(ToString(), $"Tensor {this} was disposed.")
            : new InvalidOperationException($"Tensor {this} holds {DType}, not {wanted}.");
}
