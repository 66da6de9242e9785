using InferMesh.Contracts;
using Orleans.Concurrency;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// One member of one prefill ring (key <see cref="RingMemberKey"/>), pinned to the silo of the shard whose engine it
/// borrows. <see cref="Prepare"/> borrows the engine's device and allocates the member (the coordinator prepares the
/// members one at a time in shard-key order, so two rings over the same engines cannot each hold one engine while
/// waiting for the other's); <see cref="Run"/> is then the member's whole part. Messages from the other members
/// arrive through <see cref="Deliver"/> meanwhile (before it starts, too: they wait in its mailbox).
/// </summary>
public interface IRingMemberGrain : IGrainWithStringKey
{
    /// <summary>Waits for the engine's device (another ring may hold it) and allocates the member; returns the seconds waited.</summary>
    [ResponseTimeout("00:15:00")]
    Task<double> Prepare(RingMemberAssignment assignment);

    [ResponseTimeout("00:15:00")]
    Task<RingMemberResult> Run();

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
