using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Prefill of one prompt split by sequence over a ring of devices in this process: one <see cref="RingMemberLoop"/>
/// per device — the same per-member code that runs in separate silos — exchanging blocks through an
/// <see cref="InMemoryRingNetwork"/>, all driven cooperatively on the calling thread (so members may share a backend).
/// Afterwards each member holds the KV of its partition, and the last position's logits come from the member that
/// holds it. A member that fails aborts the network, so the others stop instead of waiting.
/// </summary>
public sealed class SequenceParallelPrefill : IDisposable
{
    private readonly RingMember[] _members;
    private readonly IRingSchedule _schedule;
    private RingLink[] _links = [];

    /// <param name="devices">One (backend, weights) per member; the weights of all layers, loaded on that backend.</param>
    public SequenceParallelPrefill(IReadOnlyList<(IComputeBackend Backend, LlamaWeights Weights)> devices, IReadOnlyList<int> ids, SequencePartition partition, IRingSchedule schedule)
    {
        if (devices.Count != partition.Members || ids.Count != partition.Length)
        {
            throw new ArgumentException($"the partition is for {partition.Members} members and {partition.Length} tokens, but {devices.Count} devices and {ids.Count} ids were given.", nameof(partition));
        }

        Partition = partition;
        _schedule = schedule;
        _members = new RingMember[devices.Count];
        try
        {
            for (var m = 0; m < devices.Count; m++)
            {
                var (backend, weights) = devices[m];
                _members[m] = new RingMember(m, backend, weights, partition, partition.Positions(m).Select(p => ids[p]).ToArray());
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<RingMember> Members => _members;

    public SequencePartition Partition { get; }

    /// <summary>Each member's traffic in the last <see cref="Run"/>.</summary>
    public IReadOnlyList<RingLinkStats> MemberTraffic => _links.Select(l => l.Stats).ToArray();

    /// <summary>The whole ring's traffic in the last <see cref="Run"/> (every byte counted once, at its sender).</summary>
    public RingLinkStats Traffic => MemberTraffic.Aggregate(RingLinkStats.Zero, (a, b) => a + b);

    /// <summary>Runs every layer on every member and returns the logits of the prompt's last position.</summary>
    public float[] Run() => RingThreadContext.Run(() => RunAsync(null));

    /// <summary>
    /// Runs the prefill and gathers every member's KV into <paramref name="sink"/>, which member
    /// <paramref name="gatherTo"/> writes (on its device); returns the logits of the prompt's last position.
    /// </summary>
    public float[] Run(int gatherTo, IRingKvSink sink)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gatherTo);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(gatherTo, _members.Length);
        return RingThreadContext.Run(() => RunAsync((gatherTo, sink)));
    }

    private async Task<float[]> RunAsync((int To, IRingKvSink Sink)? gather)
    {
        // Members' backends let blocks move device to device where the devices reach each other (IPeerCopy).
        using var network = new InMemoryRingNetwork(_members.Length, _members.Select(m => m.Backend).ToArray());
        _links = _members.Select(m => new RingLink(m.Index, m.Backend, network.TransportOf(m.Index), Timeout.InfiniteTimeSpan)).ToArray();
        var runs = _members.Select(m => RunMemberAsync(new RingMemberLoop(m, _schedule, gather?.To), _links[m.Index], network, gather?.To == m.Index ? gather.Value.Sink : null)).ToArray();
        try
        {
            var logits = await Task.WhenAll(runs);
            return logits.Single(l => l is not null)!;
        }
        finally
        {
            // Staging tensors are freed with the network: no copy into or out of them may still be queued.
            foreach (var backend in _members.Select(m => m.Backend).Distinct())
            {
                backend.Synchronize();
            }
        }
    }

    private static async Task<float[]?> RunMemberAsync(RingMemberLoop loop, RingLink link, InMemoryRingNetwork network, IRingKvSink? sink)
    {
        try
        {
            var logits = await loop.PrefillAsync(link, CancellationToken.None);
            if (sink is not null)
            {
                await loop.GatherAsync(link, sink, CancellationToken.None);
            }

            return logits;
        }
        catch (Exception e)
        {
            network.Abort(new InvalidOperationException($"ring member {loop.Member.Index} failed: {e.Message}", e));
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var m in _members)
        {
            m?.Dispose();
        }
    }
}
