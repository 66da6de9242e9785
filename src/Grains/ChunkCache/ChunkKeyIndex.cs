using InferMesh.Contracts;

namespace InferMesh.Grains.ChunkCache;

/// <summary>
/// This silo's map from an engine's chunk key (a hash of namespace, model and token ids, which is all the engine
/// knows) to the chunk's directory key (<see cref="ChunkKey"/>: model, namespace and text hash, which is what the
/// gateway can compute). Entries are added by requests that carry chunks and live while a request or a stored
/// variant needs them; lookups happen on engine step threads, so every operation is a short lock.
/// </summary>
public sealed class ChunkKeyIndex
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Entry> _entries = [];

    /// <summary>Entries held now (requests in flight plus stored chunks), for tests and metrics.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Keeps the chunks of a request known until the returned handle is disposed (the request ended).</summary>
    public IDisposable Track(IReadOnlyList<(ulong EngineKey, ChunkKey Key)> chunks)
    {
        lock (_gate)
        {
            foreach (var (engineKey, key) in chunks)
            {
                if (!_entries.TryGetValue(engineKey, out var entry))
                {
                    _entries[engineKey] = entry = new Entry(key.ToString());
                }

                entry.Pending++;
            }
        }

        return new Release(this, chunks);
    }

    /// <summary>The directory key of an engine key, or null when this silo does not know it.</summary>
    public string? Resolve(ulong engineKey)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(engineKey)?.ChunkKey;
        }
    }

    /// <summary>Counts a variant an engine stored; the directory key, or null for a chunk no request named.</summary>
    public string? OnStored(ulong engineKey)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(engineKey, out var entry))
            {
                return null;
            }

            entry.Stored++;
            return entry.ChunkKey;
        }
    }

    /// <summary>Counts a variant an engine dropped and forgets the entry when nothing needs it any more.</summary>
    public string? OnDropped(ulong engineKey)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(engineKey, out var entry))
            {
                return null;
            }

            entry.Stored = Math.Max(0, entry.Stored - 1);
            ForgetIfUnused(engineKey, entry);
            return entry.ChunkKey;
        }
    }

    private void Untrack(IReadOnlyList<(ulong EngineKey, ChunkKey Key)> chunks)
    {
        lock (_gate)
        {
            foreach (var (engineKey, _) in chunks)
            {
                if (_entries.TryGetValue(engineKey, out var entry))
                {
                    entry.Pending--;
                    ForgetIfUnused(engineKey, entry);
                }
            }
        }
    }

    private void ForgetIfUnused(ulong engineKey, Entry entry)
    {
        if (entry.Pending <= 0 && entry.Stored <= 0)
        {
            _entries.Remove(engineKey);
        }
    }

    private sealed class Entry(string chunkKey)
    {
        public string ChunkKey { get; } = chunkKey;

        public int Pending { get; set; }

        public int Stored { get; set; }
    }

    private sealed class Release(ChunkKeyIndex index, IReadOnlyList<(ulong EngineKey, ChunkKey Key)> chunks) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                index.Untrack(chunks);
            }
        }
    }
}
