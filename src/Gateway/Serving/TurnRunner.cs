using System.Diagnostics;
using InferMesh.Contracts;
using InferMesh.Gateway.Errors;
using InferMesh.ServiceDefaults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Serving;

/// <summary>
/// Starts turns on session grains. A turn that failed before producing anything changed nothing (a turn is stored
/// only as it finishes), so transient failures — the session's silo died and the cluster has not yet declared it
/// dead — are retried with backoff within <see cref="GatewayOptions.FailoverRetryBudget"/>: the session then
/// re-activates on a live silo and rebuilds its KV from storage.
/// </summary>
public sealed partial class TurnRunner(IGrainFactory grains, ModelCatalog catalog, IOptions<GatewayOptions> options, InferMeshMetrics metrics, ILogger<TurnRunner> logger)
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    public async Task<TurnStream> StartAsync(string sessionKey, ChatTurn turn, long startedAt, CancellationToken cancellationToken)
    {
        RequestContext.Set(RequestContextKeys.Model, turn.Model);
        var budget = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var deltas = grains.GetGrain<ISessionGrain>(sessionKey).Chat(turn, call.Token).GetAsyncEnumerator(call.Token);
            try
            {
                if (!await FirstDeltaAsync(deltas, call, cancellationToken))
                {
                    throw new InferenceException(InferenceErrorKind.EngineError, "the session ended the turn without any output");
                }

                return new TurnStream(deltas, new RequestTelemetry(metrics, turn.Model, startedAt, turn.Options.N), turn.Options.Logprobs, call);
            }
            catch (Exception ex) when (ClusterErrors.IsTransient(ex) && budget.Elapsed < options.Value.FailoverRetryBudget && !cancellationToken.IsCancellationRequested)
            {
                Abandon(deltas, call);
                LogRetry(attempt, ex.GetType().Name, ex.Message);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
            catch
            {
                Abandon(deltas, call);
                throw;
            }
        }
    }

    /// <summary>
    /// Waits for the turn's first delta, watching the cluster meanwhile: a call addressed to a silo that has just died
    /// may never be answered, so when a silo that was live as the call started leaves the directory, the call is
    /// abandoned as transient and the turn retried (the session re-activates on a live silo).
    /// </summary>
    private async Task<bool> FirstDeltaAsync(IAsyncEnumerator<TokenDelta> deltas, CancellationTokenSource call, CancellationToken cancellationToken)
    {
        var liveAtStart = await LiveSilosAsync(cancellationToken);
        var first = deltas.MoveNextAsync().AsTask();
        while (await Task.WhenAny(first, Task.Delay(WatchInterval, cancellationToken)) != first)
        {
            var live = await LiveSilosAsync(cancellationToken, fresh: true);
            if (liveAtStart.Except(live).FirstOrDefault() is { } gone)
            {
                await call.CancelAsync();
                _ = first.ContinueWith(static t => t.Exception, TaskScheduler.Default); // observed: the silo is gone
                throw new SiloUnavailableException($"silo {gone} left the cluster while the turn waited for it");
            }
        }

        return await first;
    }

    private async Task<HashSet<string>> LiveSilosAsync(CancellationToken cancellationToken, bool fresh = false) =>
        [.. (await catalog.ReplicasAsync(cancellationToken, fresh)).Select(r => r.Silo)];

    /// <summary>Lets go of a failed attempt without waiting on a silo that may never answer.</summary>
    private static void Abandon(IAsyncEnumerator<TokenDelta> deltas, CancellationTokenSource call)
    {
        call.Cancel();
        _ = DisposeQuietlyAsync(deltas).ContinueWith(_ => call.Dispose(), TaskScheduler.Default);
    }

    private static async Task DisposeQuietlyAsync(IAsyncEnumerator<TokenDelta> deltas)
    {
        try
        {
            await deltas.DisposeAsync();
        }
        catch (Exception)
        {
            // The grain or its silo is gone; there is nothing left to release.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Turn attempt {Attempt} failed before any output ({Error}: {Message}); retrying")]
    private partial void LogRetry(int attempt, string error, string message);
}
