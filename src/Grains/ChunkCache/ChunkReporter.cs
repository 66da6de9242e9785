using System.Threading.Channels;
using InferMesh.Contracts;
using InferMesh.Engine.Serving;
using InferMesh.Grains.Engines;
using InferMesh.Grains.Shards;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace InferMesh.Grains.ChunkCache;

/// <summary>
/// Reports what this silo's engines hold of each chunk to the chunk's directory grain. Engines queue changes from
/// their step loops (<see cref="EngineChunkObserver"/>); this reporter gathers them for
/// <see cref="ChunkDirectoryOptions.ReportDelay"/>, then sends one report per changed chunk and engine — the whole
/// current state of that copy, so reports are idempotent and a burst of changes costs one call — and every
/// <see cref="ChunkDirectoryOptions.RefreshInterval"/> reports everything again.
/// </summary>
public sealed partial class ChunkReporter(
    LocalEngines engines,
    ChunkKeyIndex index,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<ChunkDirectoryOptions> options,
    ILogger<ChunkReporter> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Channel<ChunkEvent> _events = Channel.CreateUnbounded<ChunkEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly Dictionary<(string ShardKey, ulong EngineKey), HeldChunk> _held = [];
    private readonly HashSet<(string ShardKey, ulong EngineKey)> _dirty = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private long _version;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ChunkReporter), ServiceLifecycleStage.ApplicationServices, OnStart, OnStop);

    /// <summary>Sends every change queued so far now (also used by tests to skip the wait).</summary>
    public async Task FlushAsync()
    {
        await _flushGate.WaitAsync();
        try
        {
            Drain();
            await SendDirtyAsync();
        }
        finally
        {
            _flushGate.Release();
        }
    }

    private Task OnStart(CancellationToken cancellationToken)
    {
        var self = silo.SiloAddress.ToParsableString();
        foreach (var local in engines.All)
        {
            if (local.Engine is InferenceEngine engine)
            {
                engine.ObserveChunks(new EngineChunkObserver(ReplicaLoads.ShardKeyOf(local, self), local.Device, index, _events.Writer));
            }
        }

        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task OnStop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync()
    {
        var o = options.Value;
        var nextRefresh = DateTimeOffset.UtcNow + o.RefreshInterval;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var untilRefresh = nextRefresh - DateTimeOffset.UtcNow;
                await WaitForEventsAsync(_dirty.Count > 0 && o.RetryDelay < untilRefresh ? o.RetryDelay : untilRefresh);
                await Task.Delay(o.ReportDelay, _stopping.Token);
                if (DateTimeOffset.UtcNow >= nextRefresh)
                {
                    await MarkAllDirtyAsync();
                    nextRefresh = DateTimeOffset.UtcNow + o.RefreshInterval;
                }

                await FlushAsync();
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogReportFailed(ex);
            }
        }
    }

    private async Task WaitForEventsAsync(TimeSpan timeout)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        wait.CancelAfter(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero);
        try
        {
            await _events.Reader.WaitToReadAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            // Timed out: time to refresh or retry.
        }
    }

    private async Task MarkAllDirtyAsync()
    {
        await _flushGate.WaitAsync();
        try
        {
            _dirty.UnionWith(_held.Keys);
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>Applies queued events to this silo's picture of its chunks (called under the flush gate).</summary>
    private void Drain()
    {
        while (_events.Reader.TryRead(out var e))
        {
            var id = (e.ShardKey, e.EngineKey);
            if (!_held.TryGetValue(id, out var held))
            {
                if (e.Variant is null)
                {
                    continue; // dropped before it was ever reported
                }

                _held[id] = held = new HeldChunk(e.ChunkKey, e.Device);
            }

            if (e.Variant is { } variant)
            {
                held.Variants[e.VariantId] = variant;
            }
            else
            {
                held.Variants.Remove(e.VariantId);
            }

            _dirty.Add(id);
        }
    }

    private async Task SendDirtyAsync()
    {
        if (_dirty.Count == 0)
        {
            return;
        }

        var self = silo.SiloAddress.ToParsableString();
        var batch = _dirty.ToArray();
        _dirty.Clear();
        var failed = new List<(string, ulong)>();
        foreach (var part in batch.Chunk(Math.Max(1, options.Value.MaxConcurrentReports)))
        {
            var sends = part.Select(id => SendAsync(id, self)).ToArray();
            var results = await Task.WhenAll(sends);
            failed.AddRange(part.Where((_, i) => !results[i]));
        }

        foreach (var id in batch.Except(failed))
        {
            if (_held.TryGetValue(id, out var held) && held.Variants.Count == 0)
            {
                _held.Remove(id); // the directory knows it is gone
            }
        }

        _dirty.UnionWith(failed);
    }

    private async Task<bool> SendAsync((string ShardKey, ulong EngineKey) id, string self)
    {
        if (!_held.TryGetValue(id, out var held))
        {
            return true;
        }

        var copy = new ChunkCopy
        {
            Silo = self,
            Device = held.Device,
            ShardKey = id.ShardKey,
            EngineKey = id.EngineKey,
            Variants = [.. held.Variants.Values.OrderBy(v => v.VariantId)],
        };
        try
        {
            await grains.GetGrain<IChunkCacheGrain>(held.ChunkKey).Report(copy, Interlocked.Increment(ref _version)).WaitAsync(_stopping.Token);
            return true;
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            LogChunkReportFailed(held.ChunkKey, ex.GetType().Name, ex.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting chunk caches to the directory failed; retrying")]
    private partial void LogReportFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Report of chunk {ChunkKey} failed ({Error}: {Message}); it will be sent again")]
    private partial void LogChunkReportFailed(string chunkKey, string error, string message);

    /// <summary>What one engine of this silo holds of one chunk.</summary>
    private sealed class HeldChunk(string chunkKey, string device)
    {
        public string ChunkKey { get; } = chunkKey;

        public string Device { get; } = device;

        public Dictionary<long, ChunkVariantInfo> Variants { get; } = [];
    }
}
