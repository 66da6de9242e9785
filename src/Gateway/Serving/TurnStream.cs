using InferMesh.Contracts;

namespace InferMesh.Gateway.Serving;

/// <summary>A turn that has produced its first delta; enumerate the rest with <see cref="MoveNextAsync"/>.</summary>
public sealed class TurnStream(IAsyncEnumerator<TokenDelta> deltas, RequestTelemetry telemetry, bool logprobs, CancellationTokenSource call) : IAsyncDisposable
{
    private bool _started;

    public TokenDelta Current => deltas.Current;

    /// <summary>Whether the request asked for logprobs (so answers carry a logprobs object, possibly empty).</summary>
    public bool Logprobs => logprobs;

    /// <summary>Advances; the first call yields the delta that was already received when the turn started.</summary>
    public async ValueTask<bool> MoveNextAsync()
    {
        if (!_started)
        {
            _started = true;
            telemetry.OnDelta(deltas.Current);
            return true;
        }

        if (!await deltas.MoveNextAsync())
        {
            return false;
        }

        telemetry.OnDelta(deltas.Current);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        telemetry.Complete();
        try
        {
            await deltas.DisposeAsync();
        }
        finally
        {
            call.Dispose();
        }
    }
}
