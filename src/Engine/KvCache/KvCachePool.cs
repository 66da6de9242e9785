using InferMesh.Kernels;

namespace InferMesh.Engine.KvCache;

/// <summary>
/// The KV tensors of every layer on one device: per layer one key and one value pool of
/// [blocks·blockSize, kvHeads·headDim] rows, addressed by slot = block·blockSize + offset.
/// </summary>
public sealed class KvCachePool : IDisposable
{
    private readonly DeviceTensor[] _keys;
    private readonly DeviceTensor[] _values;

    public KvCachePool(IComputeBackend backend, int layers, int blockCount, int blockSize, int kvWidth)
    {
        BlockCount = blockCount;
        BlockSize = blockSize;
        _keys = new DeviceTensor[layers];
        _values = new DeviceTensor[layers];
        for (var l = 0; l < layers; l++)
        {
            _keys[l] = backend.Allocate(blockCount * blockSize, kvWidth, backend.CacheType);
            _values[l] = backend.Allocate(blockCount * blockSize, kvWidth, backend.CacheType);
        }
    }

    public int BlockCount { get; }

    public int BlockSize { get; }

    public DeviceTensor Keys(int layer) => _keys[layer];

    public DeviceTensor Values(int layer) => _values[layer];

    /// <summary>Bytes one block takes over all layers (keys and values), for sizing the pool from free memory.</summary>
    public static long BytesPerBlock(int layers, int blockSize, int kvWidth, DType cacheType) =>
        2L * layers * blockSize * kvWidth * ElementSize(cacheType);

    public static int ElementSize(DType type) => type switch
    {
        DType.F16 or DType.BF16 => 2,
        _ => 4,
    };

    public void Dispose()
    {
        foreach (var t in _keys)
        {
            t.Dispose();
        }

        foreach (var t in _values)
        {
            t.Dispose();
        }
    }
}
