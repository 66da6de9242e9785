using System.Threading.RateLimiting;
using InferMesh.Gateway.Errors;
using InferMesh.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Serving;

/// <summary>
/// The gateway's bounded queue: at most <see cref="GatewayOptions.MaxConcurrentRequests"/> generate at once and at
/// most <see cref="GatewayOptions.MaxQueuedRequests"/> wait; the rest are refused at once with 429 and Retry-After,
/// so overload degrades into polite refusals instead of timeouts for everybody.
/// </summary>
public sealed class Admission : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;
    private readonly InferMeshMetrics _metrics;
    private readonly int _retryAfter;

    public Admission(IOptions<GatewayOptions> options, InferMeshMetrics metrics)
    {
        var o = options.Value;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, o.MaxConcurrentRequests),
            QueueLimit = Math.Max(0, o.MaxQueuedRequests),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _metrics = metrics;
        _retryAfter = o.RetryAfterSeconds;
    }

    /// <summary>Waits for a slot; the returned lease must be disposed when the request is done.</summary>
    public async Task<AdmissionSlot> EnterAsync(CancellationToken cancellationToken)
    {
        _metrics.RequestsWaiting.Add(1);
        RateLimitLease lease;
        try
        {
            lease = await _limiter.AcquireAsync(1, cancellationToken);
        }
        finally
        {
            _metrics.RequestsWaiting.Add(-1);
        }

        if (!lease.IsAcquired)
        {
            lease.Dispose();
            _metrics.RequestRejected.Add(1, new KeyValuePair<string, object?>("status", 429));
            throw new ApiErrorException(ApiError.Overloaded("The server is at capacity and its queue is full; retry after the time in Retry-After.", _retryAfter));
        }

        _metrics.RequestsRunning.Add(1);
        return new AdmissionSlot(lease, _metrics);
    }

    public void Dispose() => _limiter.Dispose();
}
