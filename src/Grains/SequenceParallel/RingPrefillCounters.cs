using System.Diagnostics.Metrics;
using InferMesh.Contracts;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// The rings this silo's sessions routed prompts to: counts, tokens, bytes moved and the last outcome, kept here for
/// tests and tools and published as <c>infermesh.ring_prefills</c> (by outcome), <c>infermesh.ring_prefill_tokens</c>
/// and <c>infermesh.ring_bytes_moved</c> on the InferMesh meter.
/// </summary>
public sealed class RingPrefillCounters : IDisposable
{
    private readonly Meter _meter;
    private readonly Counter<long> _prefills, _tokens, _bytes;
    private long _succeeded, _failed;
    private RingPrefillResult? _last;
    private string? _lastFailure;

    public RingPrefillCounters(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create("InferMesh");
        _prefills = _meter.CreateCounter<long>("infermesh.ring_prefills", "{prefill}", "Prompts routed to a sequence-parallel ring, by outcome (ok, or failed and prefilled on one device).");
        _tokens = _meter.CreateCounter<long>("infermesh.ring_prefill_tokens", "{token}", "Prompt tokens prefilled by sequence-parallel rings.");
        _bytes = _meter.CreateCounter<long>("infermesh.ring_bytes_moved", "By", "Bytes ring members sent each other (tensors at their storage size, KV gather included).");
    }

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public long Failed => Interlocked.Read(ref _failed);

    public RingPrefillResult? Last => Volatile.Read(ref _last);

    public string? LastFailure => Volatile.Read(ref _lastFailure);

    public void Record(RingPrefillResult result)
    {
        Volatile.Write(ref _last, result);
        Interlocked.Increment(ref _succeeded);
        _prefills.Add(1, new KeyValuePair<string, object?>("outcome", "ok"));
        _tokens.Add(result.Tokens);
        _bytes.Add(result.BytesMoved);
    }

    public void RecordFailure(string reason)
    {
        Volatile.Write(ref _lastFailure, reason);
        Interlocked.Increment(ref _failed);
        _prefills.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
    }

    public void Dispose() => _meter.Dispose();
}
