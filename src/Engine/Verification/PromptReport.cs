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

    public double ArgmaxAgreement => Tokens == 0 ? 1 : 1.0 - ((double)ArgmaxMismatches / Tokens);

    public bool Passed => IdsMatch && ArgmaxMismatches == 0 && MaxLogitDelta <= Tolerance && GreedyMatch;
}
