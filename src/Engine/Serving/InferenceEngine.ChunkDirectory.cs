using InferMesh.Engine.ChunkCache;

namespace InferMesh.Engine.Serving;

/// <summary>
/// What a cluster needs of the chunk store from outside the step loop: to be told of its changes (a silo reports
/// them to the cluster's chunk directory) and to remove a chunk (DELETE /v1/chunks). Both run on the step loop,
/// which owns the store.
/// </summary>
public sealed partial class InferenceEngine
{
    /// <summary>Sets the observer told of every store, tier move, reuse and drop of a chunk (null stops it).</summary>
    public void ObserveChunks(IChunkStoreObserver? observer) => Post(() => _chunkStore.Observer = observer);

    /// <summary>Removes every variant of a chunk (its key as <see cref="ChunkStore.KeyOf"/> gives it); false when none was stored.</summary>
    public Task<bool> RemoveChunkAsync(ulong key)
    {
        if (_shutdown.IsCancellationRequested)
        {
            return Task.FromResult(false); // the loop is gone, and the store with it
        }

        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            done.TrySetResult(_chunkStore.Remove(key));
            _chunkStats = _chunkStore.Stats;
        });
        return done.Task;
    }
}
