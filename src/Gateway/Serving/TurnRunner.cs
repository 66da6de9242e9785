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
public sealed partial class TurnRunner(IGrainFactory grains, IOptions<GatewayOptions> options, InferMeshMetrics metrics, ILogger<TurnRunner> logger)
{
    public async Task<TurnStream> StartAsync(string sessionKey, ChatTurn turn, long startedAt, CancellationToken cancellationToken)
    {
        RequestContext.Set(RequestContextKeys.Model, turn.Model);
        var budget = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            var deltas = grains.GetGrain<ISessionGrain>(sessionKey).Chat(turn, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                if (!await deltas.MoveNextAsync())
                {
                    throw new InferenceException(InferenceErrorKind.EngineError, "the session ended the turn without any output");
                }

                return new TurnStream(deltas, new RequestTelemetry(metrics, turn.Model, startedAt, turn.Options.N), turn.Options.Logprobs);
            }
            catch (Exception ex) when (ClusterErrors.IsTransient(ex) && budget.Elapsed < options.Value.FailoverRetryBudget && !cancellationToken.IsCancellationRequested)
            {
                await DisposeQuietlyAsync(deltas);
                LogRetry(attempt, ex.GetType().Name, ex.Message);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
            catch
            {
                await DisposeQuietlyAsync(deltas);
                throw;
            }
        }
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
