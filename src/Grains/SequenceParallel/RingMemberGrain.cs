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
/// A ring member on the silo of its shard: borrows the shard engine's device (parking the engine for the ring's
/// duration), runs <see cref="RingMemberLoop"/> on its share of the prompt off the grain scheduler, and talks to the
/// other members through <see cref="OrleansRingTransport"/>. The decoding member then gathers the prompt's KV into
/// its engine's paged cache. One activation per ring and member; it deactivates when its part is done.
/// </summary>
[RingMemberPlacement]
[CollectionAgeLimit(Minutes = 2)]
public sealed partial class RingMemberGrain(LocalEngines engines, ILocalSiloDetails silo, ILogger<RingMemberGrain> logger) : Grain, IRingMemberGrain
{
    private readonly RingMailbox _mailbox = new();
    private readonly CancellationTokenSource _abort = new();
    private string? _abortReason;

    public async Task<RingMemberResult> Run(RingMemberAssignment assignment)
    {
        var (ringId, index, shard) = RingMemberKey.Parse(this.GetPrimaryKeyString());
        if (assignment.RingId != ringId || assignment.Index != index || assignment.Members.Count <= index || assignment.Members[index] != shard.ToString())
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"ring member {index} of ring {ringId} got the assignment of member {assignment.Index} of ring {assignment.RingId}");
        }

        if (_abortReason is { } early)
        {
            throw new InferenceException(InferenceErrorKind.EngineError, $"ring member {index} ({shard}) was aborted before it started: {early}");
        }

        var device = DeviceOf(shard, index);
        var transport = new OrleansRingTransport(GrainFactory, assignment, _mailbox);
        try
        {
            // Off the grain scheduler: the member computes for long stretches and its messages must keep arriving.
            var result = await Task.Run(() => RunOnDeviceAsync(device, assignment, transport, shard.ToString(), _abort.Token));
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
            var clock = Stopwatch.StartNew();
            using var lease = await device.LeaseDeviceAsync();
            clock.Restart();
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

    private IRingDevice DeviceOf(ModelShardKey shard, int index)
    {
        var local = engines.Find(shard.Model, shard.Device)
            ?? throw new InferenceException(InferenceErrorKind.Unavailable, $"ring member {index}: silo {silo.SiloAddress.ToParsableString()} has no engine for model '{shard.Model}' on {shard.Device}");
        return local.Engine as IRingDevice
            ?? throw new InferenceException(InferenceErrorKind.EngineError, $"ring member {index}: the engine of '{shard}' cannot lend its device to a sequence-parallel ring");
    }

    private static async Task<RingMemberResult> RunOnDeviceAsync(IRingDevice device, RingMemberAssignment a, OrleansRingTransport transport, string shardKey, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var lease = await device.LeaseDeviceAsync(cancellationToken);
        var leaseWait = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var partition = SequencePartition.ZigZag(a.TokenIds.Count, a.Members.Count);
        var ids = partition.Positions(a.Index).Select(p => a.TokenIds[p]).ToArray();
        using var member = new RingMember(a.Index, lease.Backend, lease.Weights, partition, ids);
        var link = new RingLink(a.Index, lease.Backend, transport, a.ReceiveTimeout);
        IRingSchedule schedule = a.Schedule == PrefillRingSchedule.OneWayRing ? new OneWayRingSchedule() : new TokenRingSchedule();
        var loop = new RingMemberLoop(member, schedule, a.GatherTo);
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
            ShardKey = shardKey,
            Rows = member.Rows,
            BytesSent = stats.BytesSent,
            BytesReceived = stats.BytesReceived,
            MessagesSent = stats.MessagesSent,
            WaitSeconds = stats.WaitSeconds,
            StagingSeconds = stats.StagingSeconds,
            WallSeconds = clock.Elapsed.TotalSeconds,
            LeaseWaitSeconds = leaseWait,
            GatherSeconds = gatherSeconds,
        };
        return new RingMemberResult(report, a.ReturnLogits ? logits : null, imported);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ring {Ring} member {Index}: {Rows} tokens in {Seconds:F3} s, sent {Bytes} bytes, {TransferSeconds:F3} s in transfer")]
    private partial void LogMemberDone(string ring, int index, int rows, double seconds, long bytes, double transferSeconds);
}
