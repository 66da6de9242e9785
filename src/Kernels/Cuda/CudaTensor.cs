using ILGPU;
using ILGPU.Runtime;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// A row-major tensor in device memory of one <see cref="CudaBackend"/>. The storage is a byte buffer; kernels view
/// it as ushort (bf16/fp16 bits), float or int. Views share the parent's buffer and never free it.
/// </summary>
public sealed class CudaTensor : DeviceTensor
{
    private readonly MemoryBuffer1D<byte, Stride1D.Dense> buffer;
    private readonly bool ownsBuffer;
    private bool disposed;

    internal CudaTensor(CudaBackend owner, MemoryBuffer1D<byte, Stride1D.Dense> buffer, long byteOffset, int rows, int cols, DType dtype, bool ownsBuffer, IndexMirror? mirror = null)
        : base(rows, cols, dtype)
    {
        Owner = owner;
        this.buffer = buffer;
        ByteOffset = byteOffset;
        this.ownsBuffer = ownsBuffer;
        Mirror = mirror;
    }

    internal CudaBackend Owner { get; }

    /// <summary>Host copy of an allocated I32 buffer's values (shared by its views); null for floats and scratch.</summary>
    internal IndexMirror? Mirror { get; }

    /// <summary>This tensor's first element in its buffer's <see cref="Mirror"/> (I32 elements).</summary>
    internal long MirrorOffset => ByteOffset / sizeof(int);

    internal long ByteOffset { get; }

    internal int ElementSize => SizeOf(DType);

    internal long ByteLength => ElementCount * ElementSize;

    /// <summary>Device address of element 0 (for cuBLAS and the driver API).</summary>
    internal IntPtr DevicePointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return buffer.NativePtr + (nint)ByteOffset;
        }
    }

    internal ArrayView<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return buffer.View.BaseView.SubView(ByteOffset, ByteLength);
        }
    }

    /// <summary>The raw 16-bit elements of a BF16/F16 tensor.</summary>
    internal ArrayView<ushort> Halves => Typed<ushort>(DType.BF16, DType.F16);

    internal ArrayView<float> Floats => Typed<float>(DType.F32, DType.F32);

    internal ArrayView<int> Ints => Typed<int>(DType.I32, DType.I32);

    public override DeviceTensor View(int rowStart, int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowStart);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (rowStart + rowCount > Rows)
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"View rows [{rowStart}, {rowStart + rowCount}) exceed {this}.");
        return new CudaTensor(Owner, buffer, ByteOffset + (long)rowStart * Cols * ElementSize, rowCount, Cols, DType, ownsBuffer: false, Mirror);
    }

    public override void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        if (ownsBuffer)
            Owner.Release(buffer);
    }

    internal static int SizeOf(DType dtype) => dtype switch
    {
        DType.BF16 or DType.F16 => 2,
        DType.F32 or DType.I32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown element type."),
    };

    private ArrayView<T> Typed<T>(DType expected, DType alternative)
        where T : unmanaged
    {
        if (DType != expected && DType != alternative)
            throw new InvalidOperationException($"Tensor {this} viewed as {typeof(T).Name} (expected {expected}).");
        if (ElementCount == 0)
            return default;
        return Bytes.Cast<T>();
    }
}
