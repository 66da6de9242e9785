
namespace InferMesh.Engine.Serving;

/// <summary>
/// Sequence-parallel prefill support: the device is lent to a ring member while the step loop is parked, and the
/// ring's KV for a prompt is imported into this engine's paged cache under a key, held like an idle resident session
/// (so memory pressure can reclaim it) until the request naming it starts from it.
/// </summary>
public sealed partial class InferenceEngine : IRingDevice
{
    /// <summary>Imports share the resident-session table under keys no session key can take (session keys are tenant/session).</summary>
    private const string ImportKeyPrefix = "\u0001import/";

    private long _importedTokens;

    public Task<DeviceLease> LeaseDeviceAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        var granted = new TaskCompletionSource<DeviceLease>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(() => granted.TrySetCanceled(cancellationToken));
        Post(() =>
        {
            registration.Dispose();
            var lease = new DeviceLease(_backend, _weights, BeginImport);
            if (granted.TrySetResult(lease))
            {
                // The loop thread stops here: the holder has the device, the cache and the allocator to itself.
                lease.WaitUntilReturned(_shutdown.Token);
            }
        });
        return granted.Task;
    }

    public void ReleaseImport(string key) => Post(() => DropSession(ImportKeyPrefix + key));

    /// <summary>Runs on the lease holder's flow while the loop is parked, so the allocator is safe to touch.</summary>
    private PrefixImport? BeginImport(DeviceLease lease, IReadOnlyList<int> tokenIds)
    {
        if (tokenIds.Count == 0)
        {
            throw new ArgumentException("an imported prefix needs at least one token.", nameof(tokenIds));
        }

        var size = _allocator.BlockSize;
        var need = (tokenIds.Count + size - 1) / size;
        if (need > _allocator.TotalBlocks)
        {
            return null;
        }

        while (need > _allocator.AvailableBlocks)
        {
            if (!ReclaimOneSession())
            {
                return null;
            }
        }

        var blocks = new List<int>(need);
        for (var i = 0; i < need; i++)
        {
            blocks.Add(_allocator.Allocate());
        }

        return new PrefixImport(lease, [.. tokenIds], blocks, size, _cache.Keys, _cache.Values, CommitImport, blocks => ReleaseBlocks(lease, blocks));
    }

    private void CommitImport(int[] tokens, List<int> blocks, string key)
    {
        DropSession(ImportKeyPrefix + key);
        _sessions[ImportKeyPrefix + key] = new ResidentSession(tokens, blocks, 0) { LastUsed = ++_sessionClock };
    }

    private void ReleaseBlocks(DeviceLease lease, List<int> blocks)
    {
        void Release()
        {
            foreach (var b in blocks)
            {
                _allocator.Release(b);
            }
        }

        if (lease.IsReturned)
        {
            Post(Release); // the loop owns the allocator again
        }
        else
        {
            Release();
        }
    }

    /// <summary>At admission: a request naming an import starts from the imported KV (and supersedes its session's resident KV).</summary>
    private bool ResumeImport(ActiveRequest active)
    {
        var request = active.Request;
        if (request.ImportedPrefixKey is not { } key || !_sessions.Remove(ImportKeyPrefix + key, out var imported))
        {
            return false;
        }

        if (request.SessionKey is { } session)
        {
            DropSession(session);
        }

        var seq = active.Sequence;
        Resume(seq, imported);
        seq.ImportedPromptTokens = seq.ComputedTokens;
        _importedTokens += seq.ComputedTokens;
        return true;
    }

    private static bool IsImportKey(string key) => key.StartsWith(ImportKeyPrefix, StringComparison.Ordinal);

    private int ResidentSessionCount()
    {
        var count = 0;
        foreach (var key in _sessions.Keys)
        {
            count += IsImportKey(key) ? 0 : 1;
        }

        return count;
    }
}
