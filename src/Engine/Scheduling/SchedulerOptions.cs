namespace InferMesh.Engine.Scheduling;

/// <summary>Limits of one continuous-batching step.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Most tokens (prefill chunks plus decode tokens) computed in one step.</summary>
    public int MaxBatchTokens { get; init; } = 512;

    /// <summary>Most sequences running at once.</summary>
    public int MaxSequences { get; init; } = 64;

    /// <summary>Longest prefill chunk of one sequence in one step (0 = up to the token budget).</summary>
    public int MaxPrefillChunk { get; init; }

    public bool EnablePrefixCaching { get; init; } = true;

    /// <summary>
    /// Most prompt rows per step whose logits are kept (sequences that asked for prompt logprobs), on top of one row per
    /// sequence: the logits buffers hold that many more rows.
    /// </summary>
    public const int PromptLogitRows = 64;
}
