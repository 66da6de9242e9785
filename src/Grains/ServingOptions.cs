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
}
