using InferMesh.Engine.SequenceParallel;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>
/// KV blocks reserved in an engine's paged cache for a prompt whose KV was computed elsewhere (a sequence-parallel
/// ring): rows are written at their prompt positions, then <see cref="Commit"/> keeps the blocks under a key until a
/// request names it (<see cref="GenerationRequest.ImportedPrefixKey"/>) and starts from them, as a session's next turn
/// starts from its resident KV. Disposing an uncommitted import frees its blocks. Only valid while its lease is held.
/// </summary>
public sealed class PrefixImport : IRingKvSink, IDisposable
{
    private readonly DeviceLease _lease;
    private readonly Func<int, DeviceTensor> _keyPool, _valuePool;
    private readonly Action<int[], List<int>, string> _commit;
    private readonly Action<List<int>> _release;
    private readonly int _blockSize;
    private readonly Dictionary<IReadOnlyList<int>, DeviceTensor> _slots = new(ReferenceEqualityComparer.Instance);
    private bool _done;

    internal PrefixImport(DeviceLease lease, int[] tokens, List<int> blocks, int blockSize, Func<int, DeviceTensor> keyPool, Func<int, DeviceTensor> valuePool, Action<int[], List<int>, string> commit, Action<List<int>> release)
    {
        _lease = lease;
        TokenIds = tokens;
        Blocks = blocks;
        _blockSize = blockSize;
        _keyPool = keyPool;
        _valuePool = valuePool;
        _commit = commit;
        _release = release;
    }

    public IReadOnlyList<int> TokenIds { get; }

    internal List<int> Blocks { get; }

    public void Write(int layer, DeviceTensor keys, DeviceTensor values, IReadOnlyList<int> positions)
    {
        ObjectDisposedException.ThrowIf(_done || _lease.IsReturned, this);
        if (!_slots.TryGetValue(positions, out var slots))
        {
            var host = new int[positions.Count];
            for (var r = 0; r < host.Length; r++)
            {
                var p = positions[r];
                if ((uint)p >= (uint)TokenIds.Count)
                {
                    throw new ArgumentOutOfRangeException(nameof(positions), p, $"position outside the imported prompt of {TokenIds.Count} tokens.");
                }

                host[r] = (Blocks[p / _blockSize] * _blockSize) + (p % _blockSize);
            }

            slots = _lease.Backend.Allocate(host.Length, 1, DType.I32);
            _lease.Backend.Upload(host, slots);
            _slots[positions] = slots;
        }

        _lease.Backend.WriteKv(keys, values, _keyPool(layer), _valuePool(layer), slots);
    }

    /// <summary>Keeps the blocks under <paramref name="key"/> for the request that names it; call once every row is written.</summary>
    public void Commit(string key)
    {
        ObjectDisposedException.ThrowIf(_done || _lease.IsReturned, this);
        _lease.Backend.Synchronize();
        _commit([.. TokenIds], Blocks, key);
        _done = true;
        DisposeSlots();
    }

    public void Dispose()
    {
        if (!_done)
        {
            _done = true;
            _release(Blocks);
        }

        DisposeSlots();
    }

    private void DisposeSlots()
    {
        foreach (var s in _slots.Values)
        {
            s.Dispose();
        }

        _slots.Clear();
    }
}
