namespace InferMesh.Engine.Sampling;

/// <summary>
/// Top-p (HF's TopPLogitsWarper, https://github.com/huggingface/transformers/blob/main/src/transformers/generation/logits_process.py):
/// keep the best-ranked tokens while the mass ranked before them is below top_p · total — the smallest best-first
/// prefix reaching top_p, never fewer than one token. Ranking is logit descending, then id ascending.
/// </summary>
internal static class NucleusSelection
{
    /// <summary>Tokens ranked by a first cheap pass; peaked distributions rarely need more.</summary>
    private const int FirstChunk = 64;

    /// <summary>Weights vanish below e^-87.3, so log-weights beyond this share the last bucket.</summary>
    private const float BucketRange = 88f;

    /// <summary>Number of nucleus tokens at the front of an already best-first list.</summary>
    public static int OfRanked(ReadOnlySpan<int> ranked, float[] weights, double threshold)
    {
        double cumulative = 0;
        for (int j = 0; j < ranked.Length; j++)
        {
            if (j > 0 && cumulative >= threshold)
            {
                return j;
            }

            cumulative += weights[ranked[j]];
        }

        return ranked.Length;
    }

    /// <summary>
    /// Writes the nucleus of the whole vocabulary to the front of <paramref name="ranked"/> and returns its size.
    /// Not in rank order: the draw needs only a fixed order. First ranks the <see cref="FirstChunk"/> best (one pass);
    /// if they fall short, a histogram of mass over log-weight buckets finds the bucket where the cut falls, and only
    /// that bucket's tokens get sorted — O(V) plus the boundary bucket's sort, never a sort of the vocabulary.
    /// </summary>
    /// <param name="shift">The largest logit; <paramref name="weights"/> are exp(logit − shift).</param>
    public static int OfVocabulary(
        ReadOnlySpan<float> logits, float shift, float[] weights, int[] ranked, double[] bucketMass, double threshold)
    {
        int first = CandidateRanking.SelectBest(logits, ranked.AsSpan(0, Math.Min(FirstChunk, logits.Length)));
        int count = OfRanked(ranked.AsSpan(0, first), weights, threshold);
        if (count < first || first == logits.Length)
        {
            return count;
        }

        int buckets = bucketMass.Length;
        float inverseWidth = buckets / BucketRange;
        Array.Clear(bucketMass);
        for (int i = 0; i < logits.Length; i++)
        {
            bucketMass[Bucket(logits[i], shift, inverseWidth, buckets)] += weights[i];
        }

        // Every token in a bucket before the boundary has less than the threshold ranked before it: all are kept.
        double cumulative = 0;
        int boundary = buckets;
        for (int b = 0; b < buckets; b++)
        {
            double through = cumulative + bucketMass[b];
            if (through >= threshold)
            {
                boundary = b;
                break;
            }

            cumulative = through;
        }

        int above = 0;
        int boundaryStart = logits.Length;
        for (int i = 0; i < logits.Length; i++)
        {
            int b = Bucket(logits[i], shift, inverseWidth, buckets);
            if (b < boundary)
            {
                ranked[above++] = i;
            }
            else if (b == boundary)
            {
                ranked[--boundaryStart] = i;
            }
        }

        // The boundary bucket's tokens sit at the back; rank them and move the kept ones behind the others.
        // Reads stay at or ahead of writes because above + boundary tokens ≤ V.
        Span<int> inBoundary = ranked.AsSpan(boundaryStart, logits.Length - boundaryStart);
        CandidateRanking.Sort(inBoundary, logits);
        count = above;
        foreach (int id in inBoundary)
        {
            if (count > 0 && cumulative >= threshold)
            {
                break;
            }

            cumulative += weights[id];
            ranked[count++] = id;
        }

        return count;
    }

    /// <summary>Bucket b holds log-weights in (−(b+1)·width, −b·width]; −∞ and anything beyond the range go last.</summary>
    private static int Bucket(float logit, float shift, float inverseWidth, int buckets)
    {
        float position = (shift - logit) * inverseWidth;
        return position < buckets - 1 ? (int)position : buckets - 1;
    }
}
