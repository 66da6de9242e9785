namespace InferMesh.Engine.Serving;

/// <summary>Log-probability of a token and, when asked, the most likely alternatives at that position.</summary>
public sealed record TokenLogprob(int TokenId, float Logprob, IReadOnlyList<(int TokenId, float Logprob)> TopAlternatives);
