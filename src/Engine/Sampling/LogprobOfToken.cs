using System.Numerics.Tensors;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// The log-probability of a given token under one row of raw logits (log-softmax, no temperature or penalties) and
/// the most likely alternatives: what prompt logprobs report for each prompt token (vLLM's prompt_logprobs).
/// </summary>
internal static class LogprobOfToken
{
    /// <param name="logits">One row of logits, left unchanged.</param>
    /// <param name="token">The token whose log-probability is wanted.</param>
    /// <param name="top">How many most likely alternatives to add (0..20).</param>
    /// <param name="workspace">Scratch of at least the row's length, used by the engine thread only.</param>
    public static TokenLogprob Of(ReadOnlySpan<float> logits, int token, int top, SamplingWorkspace workspace)
    {
        float max = TensorPrimitives.Max(logits);
        ReproducibleMath.ExpShifted(logits, max, workspace.Weights);
        double logSumExp = max + Math.Log(ReproducibleMath.Sum(workspace.Weights.AsSpan(0, logits.Length)));
        var alternatives = Array.Empty<(int TokenId, float Logprob)>();
        if (top > 0)
        {
            Span<int> best = stackalloc int[top];
            int count = CandidateRanking.SelectBest(logits, best);
            alternatives = new (int TokenId, float Logprob)[count];
            for (int j = 0; j < count; j++)
            {
                alternatives[j] = (best[j], (float)(logits[best[j]] - logSumExp));
            }
        }

        return new TokenLogprob(token, (float)(logits[token] - logSumExp), alternatives);
    }
}
