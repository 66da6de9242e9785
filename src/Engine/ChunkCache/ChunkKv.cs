using System.Runtime.InteropServices;

namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// The keys and values of one chunk for every layer, in one tier: blocks of the device's <see cref="ChunkArena"/>,
/// host memory, or a file. Moving down (device → host → disk) frees the upper tier; a reuse brings it back to the
/// device first. Host and disk copies are fp32, laid out [layer][token][kvWidth] (exact for bf16/fp16 KV).
/// </summary>
public sealed class ChunkKv : IDisposable
{
    private readonly ChunkArena _arena;
    private int[]? _blocks;
    private float[]? _hostKeys;
    private float[]? _hostValues;
    private string? _file;

    /// <summary>A chunk whose KV lives in <paramref name="blocks"/> of <paramref name="arena"/>.</summary>
    public ChunkKv(ChunkArena arena, int[] blocks, int tokens)
    {
        _arena = arena;
        _blocks = blocks;
        Tokens = tokens;
    }

    public int Layers => _arena.Layers;

    public int Tokens { get; }

    public int KvWidth => _arena.KvWidth;

    public ChunkTier Tier => _blocks is not null ? ChunkTier.Device : _hostKeys is not null ? ChunkTier.Host : ChunkTier.Disk;

    /// <summary>Bytes this chunk takes in its current tier (on the device: its whole arena blocks).</summary>
    public long Bytes => Tier == ChunkTier.Device
        ? _blocks!.Length * _arena.BytesPerBlock
        : 2L * Layers * Tokens * KvWidth * sizeof(float);

    /// <summary>The arena blocks holding the chunk (device tier only).</summary>
    public int[] Blocks => _blocks ?? throw new InvalidOperationException("chunk KV is not on the device; call EnsureOnDevice first.");

    /// <summary>Moves the KV one tier down: device → host, or host → disk (when a directory is given).</summary>
    public void Demote(ChunkKvCopier copier, string? diskDirectory)
    {
        if (_blocks is not null)
        {
            _hostKeys = new float[Layers * Tokens * KvWidth];
            _hostValues = new float[Layers * Tokens * KvWidth];
            copier.ToHost(this, _hostKeys, _hostValues);
            _arena.Release(_blocks);
            _blocks = null;
        }
        else if (_hostKeys is not null && diskDirectory is not null)
        {
            Directory.CreateDirectory(diskDirectory);
            _file = Path.Combine(diskDirectory, $"chunk-{Guid.NewGuid():n}.kv");
            using var stream = File.Create(_file);
            stream.Write(MemoryMarshal.AsBytes(_hostKeys.AsSpan()));
            stream.Write(MemoryMarshal.AsBytes(_hostValues!.AsSpan()));
            _hostKeys = _hostValues = null;
        }
    }

    /// <summary>
    /// Brings the KV back to the device (from host memory or disk). False when the arena has no room for it; the
    /// caller frees room (the store evicts) and tries again, or treats the chunk as not cached.
    /// </summary>
    public bool EnsureOnDevice(ChunkKvCopier copier)
    {
        if (_blocks is not null)
        {
            return true;
        }

        var blocks = _arena.TryAllocate(Tokens);
        if (blocks is null)
        {
            return false;
        }

        if (_hostKeys is null)
        {
            LoadFromDisk();
        }

        _blocks = blocks;
        copier.ToDevice(this, _hostKeys!, _hostValues!);
        _hostKeys = _hostValues = null;
        return true;
    }

    private void LoadFromDisk()
    {
        var file = _file ?? throw new InvalidOperationException("chunk KV has no tier left (it was dropped).");
        _hostKeys = new float[Layers * Tokens * KvWidth];
        _hostValues = new float[Layers * Tokens * KvWidth];
        using (var stream = File.OpenRead(file))
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(_hostKeys.AsSpan()));
            stream.ReadExactly(MemoryMarshal.AsBytes(_hostValues.AsSpan()));
        }

        File.Delete(file);
        _file = null;
    }

    public void Dispose()
    {
        if (_blocks is not null)
        {
            _arena.Release(_blocks);
        }

        _blocks = null;
        _hostKeys = _hostValues = null;
        if (_file is not null && File.Exists(_file))
        {
            File.Delete(_file);
        }

        _file = null;
    }
}
