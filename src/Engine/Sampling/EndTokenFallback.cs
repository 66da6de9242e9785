namespace InferMesh.Engine.Sampling;

/// <summary>
/// What an output constraint does when its mask leaves no token (no token of the vocabulary continues the form, or
/// the request banned them all with logit_bias): it allows the end tokens, so the request ends instead of failing.
/// </summary>
internal static class EndTokenFallback
{
    public static void Apply(Span<float> logits, ReadOnlySpan<int> endTokens)
    {
        foreach (var id in endTokens)
        {
            if ((uint)id < (uint)logits.Length)
            {
                logits[id] = 0f;
            }
        }
    }
}
