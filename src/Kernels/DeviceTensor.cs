namespace InferMesh.Kernels;

/// <summary>
/// A row-major 2-D tensor (rows × cols) that lives on one backend's device.
/// Everything a transformer moves around fits this shape: activations are [tokens, features],
/// weights are [out, in], a KV pool is [slots, kvHeads·headDim]. Views share storage with their parent.
/// </summary>
public abstract class DeviceTensor : IDisposable
{
    protected DeviceTensor(int rows, int cols, DType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        Rows = rows;
        Cols = cols;
        DType = dtype;
    }

    public int Rows { get; }

    public int Cols { get; }

    public DType DType { get; }

    public long ElementCount => (long)Rows * Cols;

    /// <summary>A view of rows [rowStart, rowStart+rowCount) sharing this tensor's storage.</summary>
    public abstract DeviceTensor View(int rowStart, int rowCount);

    public abstract void Dispose();

    public override string ToString() => $"{DType}[{Rows}x{Cols}]";
}
