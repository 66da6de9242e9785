using System.Diagnostics;
using InferMesh.Contracts;
using InferMesh.ServiceDefaults;

namespace InferMesh.Gateway.Serving;

/// <summary>Measures one request as the client sees it: time to first token, inter-token latency per choice, end to end, tokens.</summary>
public sealed class RequestTelemetry(InferMeshMetrics metrics, string model, long startedAt, int choices)
{
    private readonly long[] _lastTokenAt = new long[Math.Max(1, choices)];
    private readonly KeyValuePair<string, object?> _model = new("model", model);
    private bool _firstSeen;

    public long StartedAt => startedAt;

    public void OnDelta(TokenDelta delta)
    {
        var now = Stopwatch.GetTimestamp();
        if (delta.TokenId >= 0 && (uint)delta.Index < (uint)_lastTokenAt.Length)
        {
            if (!_firstSeen)
            {
                _firstSeen = true;
                metrics.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(startedAt, now).TotalSeconds, _model);
            }
            else if (_lastTokenAt[delta.Index] != 0)
            {
                metrics.TimePerOutputToken.Record(Stopwatch.GetElapsedTime(_lastTokenAt[delta.Index], now).TotalSeconds, _model);
            }

            _lastTokenAt[delta.Index] = now;
        }

        if (delta.Usage is { } usage)
        {
            if (delta.Index == 0)
            {
                metrics.PromptTokens.Add(usage.PromptTokens, _model);
                metrics.CachedPromptTokens.Add(usage.CachedPromptTokens, _model);
            }

            metrics.GenerationTokens.Add(usage.CompletionTokens, _model);
            metrics.RequestSuccess.Add(1, _model, new KeyValuePair<string, object?>("finished_reason", delta.FinishReason));
        }
    }

    public void Complete() => metrics.EndToEndLatency.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, _model);
}
