using InferMesh.Kernels;

namespace InferMesh.Engine.Loading;

/// <summary>A tensor inside a memory-mapped safetensors file: metadata plus its raw little-endian bytes.</summary>
public sealed unsafe class TensorView
{
    private readonly SafetensorsFile _owner;
    private readonly byte* _data;

    internal TensorView(SafetensorsFile owner, string name, DType dtype, long[] shape, byte* data, long length)
    {
        _owner = owner;
        Name = name;
        File = owner.Path;
        DType = dtype;
        Shape = shape;
        _data = data;
        Length = length;
    }

    public string Name { get; }

    /// <summary>The file the tensor lives in (for error messages).</summary>
    public string File { get; }

    public DType DType { get; }

    public long[] Shape { get; }

    public long Length { get; }

    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    /// <summary>The tensor's bytes, straight from the mapping (no copy). Valid while the store is open.</summary>
    public ReadOnlySpan<byte> Data
    {
        get
        {
            EnsureOpen();
            return Length <= int.MaxValue
                ? new ReadOnlySpan<byte>(_data, (int)Length)
                : throw new NotSupportedException($"{File}: tensor '{Name}' is {Length} bytes; tensors over 2 GiB must be read in parts (use DataAt).");
        }
    }

    /// <summary>A part of the tensor's bytes (for tensors over 2 GiB).</summary>
    public ReadOnlySpan<byte> DataAt(long offset, int length)
    {
        EnsureOpen();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Length);
        return new ReadOnlySpan<byte>(_data + offset, length);
    }

    private void EnsureOpen()
    {
        if (_owner.IsDisposed)
        {
            throw new ObjectDisposedException(File, $"tensor '{Name}' was read after its weights file {File} was closed (dispose the WeightStore only after the weights are uploaded).");
        }
    }

    public override string ToString() => $"{Name} {DType}{ShapeText} in {File}";
}
