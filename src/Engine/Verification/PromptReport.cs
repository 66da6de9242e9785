namespace InferMesh.Engine.Verification;

/// <summary>How one golden prompt compared: token ids, argmax at every position, last logits, greedy continuation.</summary>
public sealed record PromptReport
{
    public required int Index { get; init; }

    public required string Preview { get; init; }

    public required int Tokens { get; init; }

    public required bool IdsMatch { get; init; }

    public required int ArgmaxMismatches { get; init; }

    public required float MaxLogitDelta { get; init; }

    public required bool GreedyMatch { get; init; }

    public required IReadOnlyList<int> Greedy { get; init; }

    public required IReadOnlyList<int> ExpectedGreedy { get; init; }

    public required float Tolerance { get; init; }

    /// <summary>
    /// Whether argmax and greedy tokens must equal the reference's: yes with fp32 activations; no with bf16/fp16 ones,
    /// whose roundings flip near-ties of the fp32 reference (they are still reported), so logits within
    /// <see cref="Tolerance"/> and exact ids are what such a run must show.
    /// </summary>
    public bool TokensMustMatch { get; init; } = true;

    public double ArgmaxAgreement => Tokens == 0 ? 1 : 1.0 - ((double)ArgmaxMismatches / Tokens);

    public bool Passed => IdsMatch && MaxLogitDelta <= Tolerance && (!TokensMustMatch || (ArgmaxMismatches == 0 && GreedyMatch));
}
