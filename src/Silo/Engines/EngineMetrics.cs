using System.Diagnostics.Metrics;
using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Serving;
using InferMesh.Grains.Engines;
using InferMesh.ServiceDefaults;
using Orleans.Runtime;

namespace InferMesh.Silo.Engines;

/// <summary>
/// Engine gauges of this silo, one series per model and device, named after vLLM's
/// (<c>vllm:kv_cache_usage_perc</c>, <c>vllm:num_requests_running</c>, <c>vllm:prefix_cache_hits</c>, ...).
/// </summary>
public sealed class EngineMetrics(LocalEngines engines, InferMeshMetrics metrics) : ILifecycleParticipant<ISiloLifecycle>
{
    private bool _created;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(EngineMetrics), ServiceLifecycleStage.Active, _ => Create(), _ => Task.CompletedTask);

    private Task Create()
    {
        if (_created)
        {
            return Task.CompletedTask;
        }

        _created = true;
        var meter = metrics.Meter;
        meter.CreateObservableGauge("infermesh.engine.num_requests_running", () => Each(s => s.RunningSequences), "{request}", "Sequences in the engine's running batch.");
        meter.CreateObservableGauge("infermesh.engine.num_requests_waiting", () => Each(s => s.WaitingSequences), "{request}", "Sequences waiting for the engine.");
        meter.CreateObservableGauge("infermesh.kv_cache_usage", () => Each(s => s.TotalKvBlocks == 0 ? 0.0 : (double)s.UsedKvBlocks / s.TotalKvBlocks), "1", "Fraction of KV blocks in use.");
        meter.CreateObservableGauge("infermesh.kv_blocks_used", () => Each(s => s.UsedKvBlocks), "{block}", "KV blocks in use.");
        meter.CreateObservableGauge("infermesh.kv_blocks_total", () => Each(s => s.TotalKvBlocks), "{block}", "KV blocks in the pool.");
        meter.CreateObservableCounter("infermesh.prefix_cache_queries", () => Each(s => s.PrefixCacheQueries), "{block}", "Prefix cache lookups.");
        meter.CreateObservableCounter("infermesh.prefix_cache_hits", () => Each(s => s.PrefixCacheHits), "{block}", "Prefix cache lookups that hit.");
        meter.CreateObservableCounter("infermesh.engine.prefill_tokens_computed", () => Each(s => s.PrefillTokensComputed), "{token}", "Prompt tokens whose KV was computed.");
        meter.CreateObservableCounter("infermesh.engine.prefill_tokens_reused", () => Each(s => s.PrefillTokensReused), "{token}", "Prompt tokens whose KV was reused.");
        meter.CreateObservableCounter("infermesh.engine.preemptions", () => Each(s => s.Preemptions), "{sequence}", "Sequences preempted for KV space.");
        meter.CreateObservableGauge("infermesh.chunk_cache.bytes", ChunkBytes, "By", "Bytes of chunk caches (RAG documents' KV) per tier: device, host, disk.");
        meter.CreateObservableGauge("infermesh.chunk_cache.chunks", () => EachChunkStore(c => c.Chunks), "{chunk}", "Chunks with at least one stored variant.");
        meter.CreateObservableCounter("infermesh.chunk_cache.lookups", () => EachChunkStore(c => c.Lookups), "{lookup}", "Chunk cache lookups by requests with documents.");
        meter.CreateObservableCounter("infermesh.chunk_cache.hits", () => EachChunkStore(c => c.Hits), "{lookup}", "Chunk cache lookups that found a variant to reuse.");
        meter.CreateObservableCounter("infermesh.chunk_cache.evictions", () => EachChunkStore(c => c.Evictions), "{variant}", "Chunk variants moved down a tier or dropped for space.");
        meter.CreateObservableCounter("infermesh.chunk_cache.tokens_reused", () => EachChunkStore(c => c.TokensReused), "{token}", "Prompt tokens placed from chunk caches instead of computed.");
        meter.CreateObservableCounter("infermesh.chunk_cache.tokens_recomputed", () => EachChunkStore(c => c.TokensRecomputed), "{token}", "Tokens of reused chunks recomputed for their new context.");
        return Task.CompletedTask;
    }

    private IEnumerable<Measurement<long>> ChunkBytes()
    {
        foreach (var (local, stats) in ChunkStores())
        {
            yield return new Measurement<long>(stats.DeviceBytes, new("model", local.Model), new("device", local.Device), new("tier", "device"));
            yield return new Measurement<long>(stats.HostBytes, new("model", local.Model), new("device", local.Device), new("tier", "host"));
            yield return new Measurement<long>(stats.DiskBytes, new("model", local.Model), new("device", local.Device), new("tier", "disk"));
        }
    }

    private IEnumerable<Measurement<T>> EachChunkStore<T>(Func<ChunkStoreStats, T> value)
        where T : struct =>
        ChunkStores().Select(e => new Measurement<T>(value(e.Stats), new("model", e.Local.Model), new("device", e.Local.Device)));

    /// <summary>Chunk store counters of the engines that keep chunk caches (the snapshot each step publishes).</summary>
    private IEnumerable<(LocalEngine Local, ChunkStoreStats Stats)> ChunkStores() =>
        engines.All.Where(e => e.Engine is InferenceEngine).Select(e => (e, ((InferenceEngine)e.Engine).ChunkStats));

    private IEnumerable<Measurement<T>> Each<T>(Func<InferMesh.Engine.Serving.EngineStats, T> value)
        where T : struct =>
        engines.All.Select(e => new Measurement<T>(value(e.Engine.Stats), new("model", e.Model), new("device", e.Device)));
}
