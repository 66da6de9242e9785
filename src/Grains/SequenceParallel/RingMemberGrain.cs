using System.Diagnostics;
using InferMesh.Contracts;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Serving;
using InferMesh.Grains.Engines;
using InferMesh.Kernels;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// A ring member on the silo of its shard: borrows the shard engine's device (parking the engine from
/// <see cref="Prepare"/> to the end of <see cref="Run"/>), runs <see cref="RingMemberLoop"/> on its share of the
/// prompt off the grain scheduler, and talks to the other members through <see cref="OrleansRingTransport"/>. The
/// decoding member then gathers the prompt's KV into its engine's paged cache. One activation per ring and member;
/// it gives the device back and deactivates when its part is done, aborted, or never started.
/// </summary>
[RingMemberPlacement]
[CollectionAgeLimit(Minutes = 2)]
public sealed partial class RingMemberGrain(LocalEngines engines, ILocalSiloDetails silo, ILogger<RingMemberGrain> logger) : Grain, IRingMemberGrain
{
    private readonly RingMailbox _mailbox = new();
    private readonly CancellationTokenSource _abort = new();
    private string? _abortReason;
    private Prepared? _prepared;
    private IGrainTimer? _unclaimed;
    private bool _running;

    public async Task<double> Prepare(RingMemberAssignment assignment)
    {
        var (ringId, index, shard) = RingMemberKey.Parse(this.GetPrimaryKeyString());
        if (assignment.RingId != ringId || assignment.Index != index || assignment.Members.Count <= index || assignment.Members[index] != shard.ToString())
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"ring member {index} of ring {ringId} got the assignment of member {assignment.Index} of ring {assignment.RingId}");
        }

        if (_prepared is not null || _running)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"ring member {index} of ring {ringId} is already prepared");
        }

        ThrowIfAborted(index, shard);
        var device = DeviceOf(shard, index);
        var clock = Stopwatch.StartNew();
        DeviceLease lease;
        try
        {
            lease = await device.LeaseDeviceAsync(_abort.Token);
        }
        catch (OperationCanceledException)
        {
            ThrowIfAborted(index, shard);
            throw;
        }

        var waited = clock.Elapsed.TotalSeconds;
        try
        {
            var partition = SequencePartition.ZigZag(assignment.TokenIds.Count, assignment.Members.Count);
            var ids = partition.Positions(index).Select(p => assignment.TokenIds[p]).ToArray();
            var member = new RingMember(index, lease.Backend, lease.Weights, partition, ids);
            _prepared = new Prepared(assignment, shard.ToString(), lease, member, waited);
        }
        catch (Exception e)
        {
            lease.Dispose();
            throw new InferenceException(InferenceErrorKind.EngineError, $"ring member {index} ({shard}) could not be set up: {e.Message}");
        }

        // A coordinator that dies between Prepare and Run must not leave the engine parked.
        _unclaimed = this.RegisterGrainTimer(
            () => Abort($"ring member {index} was prepared but the ring did not start within {assignment.ReceiveTimeout.TotalSeconds:F0} s"),
            new GrainTimerCreationOptions(assignment.ReceiveTimeout, Timeout.InfiniteTimeSpan) { Interleave = true });
        return waited;
    }

    public async Task<RingMemberResult> Run()
    {
        var (ringId, index, shard) = RingMemberKey.Parse(this.GetPrimaryKeyString());
        ThrowIfAborted(index, shard);
        var prepared = _prepared ?? throw new InferenceException(InferenceErrorKind.InvalidRequest, $"ring member {index} of ring {ringId} was not prepared");
        _unclaimed?.Dispose();
        _running = true;
        var transport = new OrleansRingTransport(GrainFactory, prepared.Assignment, _mailbox);
        try
        {
            // Off the grain scheduler: the member computes for long stretches and its messages must keep arriving.
            var result = await Task.Run(() => RunOnDeviceAsync(prepared, transport, _abort.Token));
            LogMemberDone(ringId, index, result.Report.Rows, result.Report.WallSeconds, result.Report.BytesSent, result.Report.TransferSeconds);
            return result;
        }
        catch (Exception e) when (e is not InferenceException)
        {
            var reason = _abortReason is { } aborted ? $"aborted because {aborted}" : $"{e.GetType().Name}: {e.Message}";
            throw new InferenceException(InferenceErrorKind.EngineError, $"ring member {index} ({shard}) failed: {reason}");
        }
        finally
        {
            _prepared = null;
            _running = false;
            prepared.Release();
            _mailbox.Fault(new ObjectDisposedException($"ring member {index} of ring {ringId} has finished"));
            DeactivateOnIdle();
        }
    }

    public Task Deliver(RingMessage m)
    {
        _mailbox.Deliver(m.From, new RingTag(m.Layer, m.Step, (RingPayloadKind)m.Kind), (DType)m.Type, m.Rows, m.Cols, m.TotalBytes, m.Offset, m.Data);
        return Task.CompletedTask;
    }

    public async Task Abort(string reason)
    {
        _abortReason ??= reason;
        _mailbox.Fault(new InvalidOperationException($"ring aborted: {reason}"));
        await _abort.CancelAsync();
        if (!_running && _prepared is { } idle)
        {
            // Prepared but never run: give the device back now.
            _prepared = null;
            _unclaimed?.Dispose();
            idle.Release();
            DeactivateOnIdle();
        }
    }

    public Task ReleaseImport(string importKey)
    {
        var (_, _, shard) = RingMemberKey.Parse(this.GetPrimaryKeyString());
        ((IRingDevice?)engines.Find(shard.Model, shard.Device)?.Engine)?.ReleaseImport(importKey);
        return Task.CompletedTask;
    }

    public Task<OneDevicePrefillResult> PrefillOnOneDevice(IReadOnlyList<int> tokenIds)
    {
        var (_, index, shard) = RingMemberKey.Parse(this.GetPrimaryKeyString());
        var device = DeviceOf(shard, index);
        return Task.Run(async () =>
        {
            using var lease = await device.LeaseDeviceAsync();
            var clock = Stopwatch.StartNew();
            var logits = OneDevicePrefill.LastLogits(lease.Backend, lease.Weights, tokenIds);
            return new OneDevicePrefillResult(logits, clock.Elapsed.TotalSeconds);
        });
    }

    public async Task<RoundTripTiming> MeasureRoundTrips(string peerKey, int requestBytes, int replyBytes, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var peer = GrainFactory.GetGrain<IRingMemberGrain>(peerKey);
        var request = new byte[requestBytes];
        for (var i = 0; i < 3; i++)
        {
            await peer.Echo(request, replyBytes);
        }

        var seconds = new double[rounds];
        for (var i = 0; i < rounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await peer.Echo(request, replyBytes);
            seconds[i] = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        Array.Sort(seconds);
        DeactivateOnIdle();
        return new RoundTripTiming(rounds, requestBytes, replyBytes, seconds[rounds / 2], seconds[Math.Min(rounds - 1, (int)(rounds * 0.9))]);
    }

    public Task<byte[]> Echo(byte[] request, int replyBytes) => Task.FromResult(new byte[replyBytes]);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (!_running && _prepared is { } idle)
        {
            _prepared = null;
            idle.Release();
        }

        return Task.CompletedTask;
    }

    private void ThrowIfAborted(int index, ModelShardKey shard)
    {
        if (_abortReason is { } aborted)
        {
            throw new InferenceException(InferenceErrorKind.EngineError, $"ring member {index} ({shard}) was aborted: {aborted}");
        }
    }

    private IRingDevice DeviceOf(ModelShardKey shard, int index)
    {
        var local = engines.Find(shard.Model, shard.Device)
            ?? throw new InferenceException(InferenceErrorKind.Unavailable, $"ring member {index}: silo {silo.SiloAddress.ToParsableString()} has no engine for model '{shard.Model}' on {shard.Device}");
        return local.Engine as IRingDevice
            ?? throw new InferenceException(InferenceErrorKind.EngineError, $"ring member {index}: the engine of '{shard}' cannot lend its device to a sequence-parallel ring");
    }

    private static async Task<RingMemberResult> RunOnDeviceAsync(Prepared p, OrleansRingTransport transport, CancellationToken cancellationToken)
    {
        var a = p.Assignment;
        var lease = p.Lease;
        var clock = Stopwatch.StartNew();
        var link = new RingLink(a.Index, lease.Backend, transport, a.ReceiveTimeout);
        IRingSchedule schedule = a.Schedule == PrefillRingSchedule.OneWayRing ? new OneWayRingSchedule() : new TokenRingSchedule();
        var loop = new RingMemberLoop(p.Member, schedule, a.GatherTo);
        var logits = await loop.PrefillAsync(link, cancellationToken);

        var imported = false;
        var gatherSeconds = 0.0;
        if (a.GatherTo == a.Index)
        {
            var gatherStarted = clock.Elapsed;
            using var import = lease.BeginImport(a.TokenIds);
            if (import is not null)
            {
                await loop.GatherAsync(link, import, cancellationToken);
                import.Commit(a.ImportKey ?? a.RingId);
                imported = true;
            }

            gatherSeconds = (clock.Elapsed - gatherStarted).TotalSeconds;
        }

        lease.Backend.Synchronize();
        var stats = link.Stats;
        var report = new RingMemberReport
        {
            Index = a.Index,
            ShardKey = p.ShardKey,
            Rows = p.Member.Rows,
            BytesSent = stats.BytesSent,
            BytesReceived = stats.BytesReceived,
            MessagesSent = stats.MessagesSent,
            WaitSeconds = stats.WaitSeconds,
            StagingSeconds = stats.StagingSeconds,
            WallSeconds = clock.Elapsed.TotalSeconds,
            LeaseWaitSeconds = p.LeaseWaitSeconds,
            GatherSeconds = gatherSeconds,
        };
        return new RingMemberResult(report, a.ReturnLogits ? logits : null, imported);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ring {Ring} member {Index}: {Rows} tokens in {Seconds:F3} s, sent {Bytes} bytes, {TransferSeconds:F3} s in transfer")]
    private partial void LogMemberDone(string ring, int index, int rows, double seconds, long bytes, double transferSeconds);

    /// <summary>A member set up on its borrowed device, waiting for <see cref="Run"/>.</summary>
    private sealed record Prepared(RingMemberAssignment Assignment, string ShardKey, DeviceLease Lease, RingMember Member, double LeaseWaitSeconds)
    {
        /// <summary>Frees the member's buffers, then gives the device back to its engine.</summary>
        public void Release()
        {
            Member.Dispose();
            Lease.Dispose();
        }
    }
}
