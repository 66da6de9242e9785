using InferMesh.Kernels;

namespace InferMesh.Engine.Loading;

/// <summary>A tensor inside a memory-mapped safetensors file: metadata plus its raw little-endian bytes.</summary>
public sealed unsafe class TensorView
{
    private readonly byte* _data;

    internal TensorView(string name, string file, DType dtype, long[] shape, byte* data, long length)
    {
        Name = name;
        File = file;
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
    public ReadOnlySpan<byte> Data => Length <= int.MaxValue
        ? new ReadOnlySpan<byte>(_data, (int)Length)
        : throw new NotSupportedException($"{File}: tensor '{Name}' is {Length} bytes; tensors over 2 GiB must be read in parts (use DataAt).");

    /// <summary>A part of the tensor's bytes (for tensors over 2 GiB).</summary>
    public ReadOnlySpan<byte> DataAt(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Length);
        return new ReadOnlySpan<byte>(_data + offset, length);
    }
}
