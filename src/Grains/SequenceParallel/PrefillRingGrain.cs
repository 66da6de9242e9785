using System.Diagnostics;
using InferMesh.Contracts;
using Microsoft.Extensions.Logging;
using Orleans.Placement;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// Coordinates one ring (key = ring id): checks the request, prepares the members one by one in shard-key order (each
/// borrows its engine's device), starts every member's <see cref="IRingMemberGrain.Run"/> at once, and waits for all
/// of them — but on the first failure it aborts the others (so nobody waits for the failed member's blocks and every
/// device is given back), frees an import that was already made, and fails with the failed member's reason.
/// </summary>
[PreferLocalPlacement]
public sealed partial class PrefillRingGrain(ILogger<PrefillRingGrain> logger) : Grain, IPrefillRingGrain
{
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(10);

    private string RingId => this.GetPrimaryKeyString();

    public async Task<RingPrefillResult> Prefill(RingPrefillRequest request)
    {
        Validate(request);
        var n = request.Members.Count;
        var importKey = request.GatherToFirst ? RingId : null;
        var members = request.Members.Select((shard, i) => GrainFactory.GetGrain<IRingMemberGrain>(RingMemberKey.Compose(RingId, i, shard))).ToArray();
        var assignments = request.Members.Select((_, i) => new RingMemberAssignment
        {
            RingId = RingId,
            Index = i,
            Members = request.Members,
            TokenIds = request.TokenIds,
            Schedule = request.Schedule,
            GatherTo = request.GatherToFirst ? 0 : null,
            ImportKey = importKey,
            ReceiveTimeout = request.ReceiveTimeout,
            MessageChunkBytes = request.MessageChunkBytes,
            ReturnLogits = request.ReturnLogits,
        }).ToArray();

        // Devices are borrowed one at a time in one global order (shard key), so two rings sharing engines never
        // each hold one the other waits for.
        var clock = Stopwatch.StartNew();
        foreach (var i in Enumerable.Range(0, n).OrderBy(i => request.Members[i], StringComparer.Ordinal))
        {
            try
            {
                await members[i].Prepare(assignments[i]);
            }
            catch (Exception e)
            {
                var reason = Describe(i, request.Members[i], e);
                LogRingFailed(RingId, reason);
                await AbortAsync(members, i, reason);
                throw Failure(request, reason, e);
            }
        }

        var runs = members.Select(m => m.Run()).ToArray();
        await WhenAllOrFirstFailureAsync(runs, members, request, importKey);
        var results = runs.Select(r => r.Result).ToArray();
        var result = new RingPrefillResult
        {
            RingId = RingId,
            Schedule = request.Schedule,
            Tokens = request.TokenIds.Count,
            Members = results.Select(r => r.Report).ToArray(),
            Seconds = clock.Elapsed.TotalSeconds,
            LastLogits = results.Select(r => r.LastLogits).FirstOrDefault(l => l is not null),
            ImportedPrefixKey = results[0].Imported ? importKey : null,
        };
        LogRingDone(RingId, result.Tokens, n, result.Seconds, result.BytesMoved, result.ImportedPrefixKey is not null);
        return result;
    }

    public Task<OneDevicePrefillResult> PrefillOnOneDevice(string shardKey, IReadOnlyList<int> tokenIds) =>
        GrainFactory.GetGrain<IRingMemberGrain>(RingMemberKey.Compose($"{RingId}-reference", 0, shardKey)).PrefillOnOneDevice(tokenIds);

    public Task<RoundTripTiming> MeasureRoundTrips(string fromShardKey, string toShardKey, int requestBytes, int replyBytes, int rounds)
    {
        var from = GrainFactory.GetGrain<IRingMemberGrain>(RingMemberKey.Compose($"{RingId}-rtt", 0, fromShardKey));
        return from.MeasureRoundTrips(RingMemberKey.Compose($"{RingId}-rtt", 1, toShardKey), requestBytes, replyBytes, rounds);
    }

    private async Task WhenAllOrFirstFailureAsync(Task<RingMemberResult>[] runs, IRingMemberGrain[] members, RingPrefillRequest request, string? importKey)
    {
        var pending = new List<Task<RingMemberResult>>(runs);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.IsCompletedSuccessfully)
            {
                continue;
            }

            var index = Array.IndexOf(runs, done);
            var error = done.Exception?.InnerException ?? new OperationCanceledException("the member's call was cancelled");
            var reason = Describe(index, request.Members[index], error);
            LogRingFailed(RingId, reason);
            await AbortAsync(members, index, reason);
            await ((Task)Task.WhenAll(pending)).WaitAsync(AbortGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            if (importKey is not null && runs[0].IsCompletedSuccessfully && runs[0].Result.Imported)
            {
                await members[0].ReleaseImport(importKey).WaitAsync(AbortGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            }

            throw Failure(request, reason, error);
        }
    }

    /// <summary>Tells every member but the failed one to stop; best effort and bounded (a member on a dead silo cannot be told).</summary>
    private static async Task AbortAsync(IRingMemberGrain[] members, int failed, string reason)
    {
        var aborts = members.Where((_, i) => i != failed).Select(m => m.Abort(reason));
        await Task.WhenAll(aborts).WaitAsync(AbortGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    private static string Describe(int index, string shard, Exception error) =>
        error is InferenceException && error.Message.StartsWith("ring member", StringComparison.Ordinal)
            ? error.Message
            : $"ring member {index} ({shard}) failed: {error.Message}";

    private static InferenceException Failure(RingPrefillRequest request, string reason, Exception error) => new(
        error is InferenceException { Kind: InferenceErrorKind.Unavailable } ? InferenceErrorKind.Unavailable : InferenceErrorKind.EngineError,
        $"sequence-parallel prefill over {request.Members.Count} members failed: {reason}");

    private static void Validate(RingPrefillRequest r)
    {
        var n = r.Members.Count;
        if (n < 1)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, "a prefill ring needs at least one member shard");
        }

        if (r.Members.Distinct(StringComparer.Ordinal).Count() != n)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, "a prefill ring's members must be different engines (one member borrows its whole engine): a shard key is listed twice");
        }

        var models = r.Members.Select(m => ParseShard(m).Model).Distinct(StringComparer.Ordinal).ToArray();
        if (models.Length != 1)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"a prefill ring's members must serve one model, not {string.Join(", ", models)}");
        }

        if (r.TokenIds.Count < 2 * n)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"a prompt of {r.TokenIds.Count} tokens is too short for a {n}-member ring (the zig-zag split needs at least {2 * n}); prefill it on one device");
        }

        if (r.MessageChunkBytes < 1024 || r.ReceiveTimeout <= TimeSpan.Zero)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"message chunks must be at least 1024 bytes (got {r.MessageChunkBytes}) and the receive timeout positive (got {r.ReceiveTimeout})");
        }
    }

    private static ModelShardKey ParseShard(string key)
    {
        try
        {
            return ModelShardKey.Parse(key);
        }
        catch (FormatException e)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ring {Ring}: {Tokens} tokens over {Members} members in {Seconds:F3} s, {Bytes} bytes moved, KV imported: {Imported}")]
    private partial void LogRingDone(string ring, int tokens, int members, double seconds, long bytes, bool imported);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ring {Ring} failed: {Reason}")]
    private partial void LogRingFailed(string ring, string reason);
}
