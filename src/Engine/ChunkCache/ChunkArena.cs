using InferMesh.Kernels;

namespace InferMesh.Engine.ChunkCache;

/// <summary>
/// The device tier of a chunk store: one key and one value tensor (the KV cache's element type) holding the chunks of
/// every layer, cut into blocks of <see cref="BlockSize"/> tokens × all layers. Keeping every chunk in one pair of
/// tensors lets a single gather per layer move any number of chunks (see <see cref="ChunkKvCopier"/>), and a chunk
/// costs no device allocation or free (which would synchronise the device) when it is stored or dropped. The tensors
/// grow by doubling up to the byte budget; growing copies the old contents once.
/// Row of (block b, layer l, token offset o) = (b·layers + l)·blockSize + o.
/// </summary>
public sealed class ChunkArena : IDisposable
{
    private const int InitialBlocks = 16;

    private readonly IComputeBackend _backend;
    private readonly Stack<int> _free = new();
    private DeviceTensor? _keys, _values;
    private int _capacity, _used;

    public ChunkArena(IComputeBackend backend, int layers, int kvWidth, int blockSize, long maxBytes)
    {
        _backend = backend;
        Layers = layers;
        KvWidth = kvWidth;
        BlockSize = blockSize;
        BytesPerBlock = 2L * layers * blockSize * kvWidth * (backend.CacheType is DType.BF16 or DType.F16 ? 2 : 4);

        // A tensor's element count must stay addressable by int on every backend.
        var addressable = int.MaxValue / ((long)layers * blockSize * kvWidth);
        MaxBlocks = (int)Math.Min(addressable, Math.Max(0, maxBytes / BytesPerBlock));
    }

    public int Layers { get; }

    public int KvWidth { get; }

    public int BlockSize { get; }

    /// <summary>Device bytes of one block (keys and values of <see cref="BlockSize"/> tokens in every layer).</summary>
    public long BytesPerBlock { get; }

    /// <summary>Blocks the byte budget allows.</summary>
    public int MaxBlocks { get; }

    public int UsedBlocks => _used;

    public int FreeBlocks => MaxBlocks - _used;

    public DeviceTensor Keys => _keys ?? throw new InvalidOperationException("the chunk arena holds nothing yet.");

    public DeviceTensor Values => _values ?? throw new InvalidOperationException("the chunk arena holds nothing yet.");

    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>Takes blocks for a chunk of <paramref name="tokens"/> tokens; null when the budget has too few left.</summary>
    public int[]? TryAllocate(int tokens)
    {
        var count = BlocksFor(tokens);
        if (count > FreeBlocks)
        {
            return null;
        }

        if (_used + count > _capacity)
        {
            Grow(_used + count);
        }

        var blocks = new int[count];
        for (var i = 0; i < count; i++)
        {
            blocks[i] = _free.Pop();
        }

        _used += count;
        return blocks;
    }

    public void Release(int[] blocks)
    {
        foreach (var b in blocks)
        {
            _free.Push(b);
        }

        _used -= blocks.Length;
    }

    /// <summary>Arena row of token <paramref name="token"/> of a chunk stored in <paramref name="blocks"/>, in layer <paramref name="layer"/>.</summary>
    public int Row(int[] blocks, int token, int layer) => (((blocks[token / BlockSize] * Layers) + layer) * BlockSize) + (token % BlockSize);

    private void Grow(int needed)
    {
        var capacity = (int)Math.Min(MaxBlocks, Math.Max(needed, Math.Max(InitialBlocks, 2L * _capacity)));
        var rows = capacity * Layers * BlockSize;
        var keys = _backend.Allocate(rows, KvWidth, _backend.CacheType);
        var values = _backend.Allocate(rows, KvWidth, _backend.CacheType);
        if (_keys is not null)
        {
            _backend.Copy(_keys, keys.View(0, _keys.Rows));
            _backend.Copy(_values!, values.View(0, _values!.Rows));
            _keys.Dispose();
            _values.Dispose();
        }

        // Lowest ids on top, so a fresh arena fills from its start.
        for (var b = capacity - 1; b >= _capacity; b--)
        {
            _free.Push(b);
        }

        // Blocks freed before the growth stay below the new ones on the stack; order does not matter for correctness.
        _keys = keys;
        _values = values;
        _capacity = capacity;
    }

    public void Dispose()
    {
        _keys?.Dispose();
        _values?.Dispose();
        _keys = _values = null;
    }
}
