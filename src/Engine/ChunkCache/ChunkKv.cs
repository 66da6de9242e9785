using System.Runtime.InteropServices;
using InferMesh.Kernels;

namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// The keys and values of one chunk for every layer, in one tier. Moving down (device → host → disk) frees the
/// upper tier; a reuse brings it back to the device first. Host and disk copies are fp32 (exact for bf16/fp16 KV).
/// </summary>
public sealed class ChunkKv : IDisposable
{
    private DeviceTensor[]? _keys;
    private DeviceTensor[]? _values;
    private float[][]? _hostKeys;
    private float[][]? _hostValues;
    private string? _file;

    public ChunkKv(DeviceTensor[] keys, DeviceTensor[] values)
    {
        _keys = keys;
        _values = values;
        Layers = keys.Length;
        Tokens = keys[0].Rows;
        KvWidth = keys[0].Cols;
        ElementBytes = keys[0].DType is DType.BF16 or DType.F16 ? 2 : 4;
    }

    public int Layers { get; }

    public int Tokens { get; }

    public int KvWidth { get; }

    private int ElementBytes { get; }

    public ChunkTier Tier => _keys is not null ? ChunkTier.Device : _hostKeys is not null ? ChunkTier.Host : ChunkTier.Disk;

    /// <summary>Bytes this chunk takes in its current tier.</summary>
    public long Bytes => 2L * Layers * Tokens * KvWidth * (Tier == ChunkTier.Device ? ElementBytes : sizeof(float));

    public DeviceTensor Keys(int layer) => (_keys ?? throw new InvalidOperationException("chunk KV is not on the device; call EnsureOnDevice first."))[layer];

    public DeviceTensor Values(int layer) => (_values ?? throw new InvalidOperationException("chunk KV is not on the device; call EnsureOnDevice first."))[layer];

    /// <summary>Moves the KV one tier down: device → host, or host → disk (when a directory is given) .</summary>
    public void Demote(IComputeBackend backend, string? diskDirectory)
    {
        if (_keys is not null)
        {
            _hostKeys = new float[Layers][];
            _hostValues = new float[Layers][];
            for (var l = 0; l < Layers; l++)
            {
                _hostKeys[l] = new float[Tokens * KvWidth];
                _hostValues[l] = new float[Tokens * KvWidth];
                backend.Download(_keys[l], _hostKeys[l]);
                backend.Download(_values![l], _hostValues[l]);
                _keys[l].Dispose();
                _values[l].Dispose();
            }

            _keys = _values = null;
        }
        else if (_hostKeys is not null && diskDirectory is not null)
        {
            Directory.CreateDirectory(diskDirectory);
            _file = Path.Combine(diskDirectory, $"chunk-{Guid.NewGuid():n}.kv");
            using var stream = File.Create(_file);
            for (var l = 0; l < Layers; l++)
            {
                stream.Write(MemoryMarshal.AsBytes(_hostKeys[l].AsSpan()));
                stream.Write(MemoryMarshal.AsBytes(_hostValues![l].AsSpan()));
            }

            _hostKeys = _hostValues = null;
        }
    }

    /// <summary>Brings the KV back to the device (from host memory or disk).</summary>
    public void EnsureOnDevice(IComputeBackend backend)
    {
        if (_keys is not null)
        {
            return;
        }

        if (_hostKeys is null)
        {
            LoadFromDisk();
        }

        _keys = new DeviceTensor[Layers];
        _values = new DeviceTensor[Layers];
        for (var l = 0; l < Layers; l++)
        {
            _keys[l] = backend.Allocate(Tokens, KvWidth, backend.CacheType);
            _values[l] = backend.Allocate(Tokens, KvWidth, backend.CacheType);
            backend.Upload(_hostKeys![l], _keys[l]);
            backend.Upload(_hostValues![l], _values[l]);
        }

        _hostKeys = _hostValues = null;
    }

    private void LoadFromDisk()
    {
        var file = _file ?? throw new InvalidOperationException("chunk KV has no tier left (it was dropped).");
        _hostKeys = new float[Layers][];
        _hostValues = new float[Layers][];
        using var stream = File.OpenRead(file);
        for (var l = 0; l < Layers; l++)
        {
            _hostKeys[l] = new float[Tokens * KvWidth];
            _hostValues[l] = new float[Tokens * KvWidth];
            stream.ReadExactly(MemoryMarshal.AsBytes(_hostKeys[l].AsSpan()));
            stream.ReadExactly(MemoryMarshal.AsBytes(_hostValues[l].AsSpan()));
        }

        File.Delete(file);
        _file = null;
    }

    public void Dispose()
    {
        if (_keys is not null)
        {
            foreach (var t in _keys.Concat(_values!))
            {
                t.Dispose();
            }
        }

        _keys = _values = null;
        _hostKeys = _hostValues = null;
        if (_file is not null && File.Exists(_file))
        {
            File.Delete(_file);
        }
    }
}
