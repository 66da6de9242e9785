using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>
/// Exclusive use of an engine's device while its step loop is parked (<see cref="IRingDevice.LeaseDeviceAsync"/>):
/// the backend, the model weights already loaded on it, and KV blocks for importing a prompt's prefix. Used from one
/// flow at a time; disposing it lets the engine run again.
/// </summary>
public sealed class DeviceLease : IDisposable
{
    private readonly ManualResetEventSlim _returned = new();
    private readonly Func<DeviceLease, IReadOnlyList<int>, PrefixImport?> _beginImport;

    internal DeviceLease(IComputeBackend backend, LlamaWeights weights, Func<DeviceLease, IReadOnlyList<int>, PrefixImport?> beginImport)
    {
        Backend = backend;
        Weights = weights;
        _beginImport = beginImport;
    }

    public IComputeBackend Backend { get; }

    public LlamaWeights Weights { get; }

    public bool IsReturned => _returned.IsSet;

    /// <summary>
    /// Reserves KV blocks for a prompt of <paramref name="tokenIds"/> (giving back idle sessions if needed); null when
    /// the cache cannot hold it. Fill it through <see cref="PrefixImport.Write"/>, then commit it under a key.
    /// </summary>
    public PrefixImport? BeginImport(IReadOnlyList<int> tokenIds)
    {
        ObjectDisposedException.ThrowIf(IsReturned, this);
        return _beginImport(this, tokenIds);
    }

    public void Dispose() => _returned.Set();

    /// <summary>Parks the engine's step loop until the lease is returned or the engine shuts down.</summary>
    internal void WaitUntilReturned(CancellationToken shutdown)
    {
        try
        {
            _returned.Wait(shutdown);
        }
        catch (OperationCanceledException)
        {
            // The engine is shutting down; the holder's next device call fails on the disposed backend.
        }
    }
}
