namespace InferMesh.Contracts;

/// <summary>
/// Runs one sequence-parallel prefill (keyed by a fresh ring id) over model-shard engines on different silos: it
/// splits the prompt zig-zag over the members, starts every member on its silo, and the partial tensors cross
/// processes as Orleans messages. Member 0 is the engine that will decode: the others' KV is gathered into its paged
/// cache and imported under <see cref="RingPrefillResult.ImportedPrefixKey"/>. A member that fails ends the ring at
/// once with an <see cref="InferenceException"/> naming it; the other members are aborted, not left waiting.
/// </summary>
public interface IPrefillRingGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:15:00")]
    Task<RingPrefillResult> Prefill(RingPrefillRequest request);

    /// <summary>The same prompt prefilled by one shard's engine alone (the reference a ring is checked against).</summary>
    [ResponseTimeout("00:15:00")]
    Task<OneDevicePrefillResult> PrefillOnOneDevice(string shardKey, IReadOnlyList<int> tokenIds);

    /// <summary>
    /// Times grain-call round trips from one shard's silo to another's carrying <paramref name="requestBytes"/> out
    /// and <paramref name="replyBytes"/> back: the cost of one cross-process attention merge round.
    /// </summary>
    Task<RoundTripTiming> MeasureRoundTrips(string fromShardKey, string toShardKey, int requestBytes, int replyBytes, int rounds);
}
