using System.Diagnostics.Metrics;

namespace InferMesh.ServiceDefaults;

/// <summary>
/// Request-level serving metrics, named after vLLM's (<c>vllm:time_to_first_token_seconds</c> and friends,
/// https://docs.vllm.ai/en/latest/design/metrics.html); Prometheus sees them as <c>infermesh_time_to_first_token_seconds</c>,
/// <c>infermesh_prompt_tokens_total</c>, ... Engine-level gauges (KV blocks, prefix cache) are published by each silo
/// under the same meter.
/// </summary>
public sealed class InferMeshMetrics : IDisposable
{
    public const string MeterName = "InferMesh";

    /// <summary>vLLM's latency buckets (seconds), from 1 ms to 80 s.</summary>
    public static readonly double[] LatencyBucketsSeconds =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];

    private readonly Meter _meter;

    public InferMeshMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        TimeToFirstToken = _meter.CreateHistogram<double>("infermesh.time_to_first_token", "s", "Time from request arrival to the first generated token.");
        TimePerOutputToken = _meter.CreateHistogram<double>("infermesh.time_per_output_token", "s", "Time between consecutive generated tokens (inter-token latency).");
        EndToEndLatency = _meter.CreateHistogram<double>("infermesh.e2e_request_latency", "s", "Time from request arrival to its last token.");
        PromptTokens = _meter.CreateCounter<long>("infermesh.prompt_tokens", "{token}", "Prompt tokens processed.");
        CachedPromptTokens = _meter.CreateCounter<long>("infermesh.prefix_cache_hit_tokens", "{token}", "Prompt tokens whose KV came from a resident session or the prefix cache.");
        GenerationTokens = _meter.CreateCounter<long>("infermesh.generation_tokens", "{token}", "Tokens generated.");
        RequestsRunning = _meter.CreateUpDownCounter<long>("infermesh.num_requests_running", "{request}", "Requests generating now.");
        RequestsWaiting = _meter.CreateUpDownCounter<long>("infermesh.num_requests_waiting", "{request}", "Requests queued at the gateway.");
        RequestSuccess = _meter.CreateCounter<long>("infermesh.request_success", "{request}", "Requests finished, by finish reason.");
        RequestRejected = _meter.CreateCounter<long>("infermesh.request_rejected", "{request}", "Requests refused, by HTTP status.");
    }

    public Histogram<double> TimeToFirstToken { get; }

    public Histogram<double> TimePerOutputToken { get; }

    public Histogram<double> EndToEndLatency { get; }

    public Counter<long> PromptTokens { get; }

    public Counter<long> CachedPromptTokens { get; }

    public Counter<long> GenerationTokens { get; }

    public UpDownCounter<long> RequestsRunning { get; }

    public UpDownCounter<long> RequestsWaiting { get; }

    public Counter<long> RequestSuccess { get; }

    public Counter<long> RequestRejected { get; }

    /// <summary>The meter, for components that publish their own instruments (a silo's engine gauges).</summary>
    public Meter Meter => _meter;

    public static bool IsLatency(string instrumentName) =>
        instrumentName is "infermesh.time_to_first_token" or "infermesh.time_per_output_token" or "infermesh.e2e_request_latency";

    public void Dispose() => _meter.Dispose();
}
