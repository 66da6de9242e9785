using InferMesh.Contracts;
using Orleans.Concurrency;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// One member of one prefill ring (key <see cref="RingMemberKey"/>), pinned to the silo of the shard whose engine it
/// borrows. <see cref="Run"/> is the member's whole part; messages from the other members arrive through
/// <see cref="Deliver"/> meanwhile (before it starts, too: they wait in its mailbox).
/// </summary>
public interface IRingMemberGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:15:00")]
    Task<RingMemberResult> Run(RingMemberAssignment assignment);

    [AlwaysInterleave]
    Task Deliver(RingMessage message);

    /// <summary>Ends the member's part at once with <paramref name="reason"/> (another member failed).</summary>
    [AlwaysInterleave]
    Task Abort(string reason);

    /// <summary>Frees KV this member imported for a ring that failed afterwards.</summary>
    [AlwaysInterleave]
    Task ReleaseImport(string importKey);

    [ResponseTimeout("00:15:00")]
    Task<OneDevicePrefillResult> PrefillOnOneDevice(IReadOnlyList<int> tokenIds);

    Task<RoundTripTiming> MeasureRoundTrips(string peerKey, int requestBytes, int replyBytes, int rounds);

    [AlwaysInterleave]
    Task<byte[]> Echo(byte[] request, int replyBytes);
}
