using InferMesh.Contracts;

namespace InferMesh.Grains;

/// <summary>Limits and intervals of the serving grains (configuration section <c>InferMesh:Serving</c>).</summary>
public sealed class ServingOptions
{
    public const string Section = "InferMesh:Serving";

    /// <summary>Requests an engine may have waiting before new ones are refused with 429.</summary>
    public int MaxWaitingSequences { get; set; } = 256;

    /// <summary>Completion tokens when a request names no max_tokens (further capped by the context length).</summary>
    public int DefaultMaxTokens { get; set; } = 1024;

    /// <summary>How often each silo reports its load to the cluster directory and refreshes its view of the others.</summary>
    public TimeSpan LoadReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// KV blocks a silo is assumed to lose per session placed on it since the last load report, so a burst of new
    /// sessions spreads over silos instead of all landing on the one that looked emptiest a moment ago.
    /// </summary>
    public int PlacementPenaltyBlocks { get; set; } = 32;

    /// <summary>
    /// Prompts with at least this many tokens to prefill (past the session's resident KV) are prefilled by a
    /// sequence-parallel ring when other silos or devices hold the whole model; 0 turns rings off.
    /// </summary>
    public int RingPrefillMinTokens { get; set; } = 8192;

    /// <summary>
    /// A replica whose last load report is older than this is not taken into a ring (it may be gone). Defaults to the
    /// directory's own staleness bound; a deployment that reports rarely (or a test that refreshes by hand) raises it.
    /// </summary>
    public TimeSpan RingCandidateStaleAfter { get; set; } = ModelReplicaLoad.StaleAfter;

    /// <summary>Most members a prefill ring takes (the session's own shard included).</summary>
    public int RingMaxMembers { get; set; } = 8;

    public PrefillRingSchedule RingSchedule { get; set; } = PrefillRingSchedule.TokenRing;

    /// <summary>How long a ring member waits for any one block before it declares its peer gone.</summary>
    public TimeSpan RingReceiveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest Orleans message a ring tensor is split into.</summary>
    public int RingMessageChunkBytes { get; set; } = 4 << 20;
}
