using System.Runtime.InteropServices;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Widens raw weight bytes (F32/F16/BF16, little-endian) to fp32 storage, split into chunks over the workers.
/// The raw bytes usually come from a memory-mapped safetensors file, so the source is an unmanaged pointer.
/// </summary>
internal sealed unsafe class CpuWeightLoader : ICpuWork
{
    private const int ChunkElements = 1 << 20;

    private readonly CpuWorkerPool _pool;
    private byte* _source;
    private DType _sourceType;
    private int _sourceSize;
    private float[] _destination = [];
    private long _elements;

    public CpuWeightLoader(CpuWorkerPool pool) => _pool = pool;

    public CpuTensor Load(ReadOnlySpan<byte> raw, DType sourceType, int rows, int cols)
    {
        long elements = (long)rows * cols;
        if (sourceType == DType.I32)
        {
            CpuArguments.ByteLength(raw.Length, DType.I32, 4, rows, cols, nameof(raw));
            int[] ints = new int[CpuBackend.CheckedLength(elements)];
            MemoryMarshal.Cast<byte, int>(raw).CopyTo(ints);
            return new CpuTensor(ints, 0, rows, cols);
        }

        int size = FloatConversion.SizeOf(sourceType);
        CpuArguments.ByteLength(raw.Length, sourceType, size, rows, cols, nameof(raw));
        float[] floats = CpuBackend.NewFloats(elements);
        fixed (byte* source = raw)
        {
            _source = source;
            _sourceType = sourceType;
            _sourceSize = size;
            _destination = floats;
            _elements = elements;
            try
            {
                _pool.Run(this, (int)((elements + ChunkElements - 1) / ChunkElements));
            }
            finally
            {
                _source = null;
                _destination = [];
            }
        }

        return new CpuTensor(floats, 0, rows, cols);
    }

    public void Execute(int worker, int item)
    {
        long start = (long)item * ChunkElements;
        int count = (int)Math.Min(ChunkElements, _elements - start);
        var raw = new ReadOnlySpan<byte>(_source + (start * _sourceSize), count * _sourceSize);
        FloatConversion.ToSingle(raw, _sourceType, _destination.AsSpan((int)start, count));
    }
}
