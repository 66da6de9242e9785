using System.Numerics;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// Partial selection of the best-ranked tokens without sorting the vocabulary. Ranking is a total order: higher
/// logit first, lower token id first among equal logits — so the result does not depend on the algorithm.
/// A min-heap of the m best seen so far costs one comparison for most of the vocabulary: O(V + m log m · log V).
/// </summary>
internal static class CandidateRanking
{
    /// <summary>
    /// Writes into <paramref name="best"/> the ids of the <c>best.Length</c> best-ranked tokens, best first, considering
    /// only tokens ranked after <paramref name="afterId"/> (-1: from the top). Returns how many were written (fewer
    /// when fewer tokens remain). Logits must not contain NaN.
    /// </summary>
    public static int SelectBest(ReadOnlySpan<float> logits, Span<int> best, int afterId = -1)
    {
        int capacity = best.Length;
        if (capacity == 0)
        {
            return 0;
        }

        int count = 0;
        int id = 0;
        bool bounded = afterId >= 0;
        float boundLogit = bounded ? logits[afterId] : 0f;

        // Fill the heap with the first eligible tokens.
        for (; id < logits.Length && count < capacity; id++)
        {
            if (bounded && !RanksAfter(logits[id], id, boundLogit, afterId))
            {
                continue;
            }

            best[count] = id;
            SiftUp(best, count, logits);
            count++;
        }

        if (count == 0)
        {
            return 0;
        }

        // Ids now only grow, so a token that ties the worst kept one ranks after it: strict > decides.
        float worst = logits[best[0]];
        for (; id < logits.Length; id++)
        {
            // Most tokens lose to the worst kept one: skip a whole vector of them with one comparison.
            if (Vector.IsHardwareAccelerated && (id & (Vector<float>.Count - 1)) == 0 && id <= logits.Length - Vector<float>.Count
                && !Vector.GreaterThanAny(new Vector<float>(logits[id..]), new Vector<float>(worst)))
            {
                id += Vector<float>.Count - 1;
                continue;
            }

            float v = logits[id];
            if (v > worst && (!bounded || RanksAfter(v, id, boundLogit, afterId)))
            {
                best[0] = id;
                SiftDown(best, 0, count, logits);
                worst = logits[best[0]];
            }
        }

        // Heap sort: moving the worst to the back leaves the slice best first.
        for (int end = count - 1; end > 0; end--)
        {
            (best[0], best[end]) = (best[end], best[0]);
            SiftDown(best, 0, end, logits);
        }

        return count;
    }

    /// <summary>
    /// HF's TopKLogitsWarper and vLLM keep every token whose logit equals the k-th best (they mask <c>logit &lt; kth</c>),
    /// so top-k can keep more than k tokens when logits tie — common with bf16 weights. Appends those ties after the
    /// first <paramref name="count"/> ranked ids (they have higher ids, so rank order holds) and returns the new count.
    /// </summary>
    public static int AppendTiesOfLast(ReadOnlySpan<float> logits, Span<int> ranked, int count)
    {
        if (count == 0)
        {
            return 0;
        }

        float last = logits[ranked[count - 1]];
        int id = ranked[count - 1] + 1;
        if (Vector.IsHardwareAccelerated)
        {
            var lastVector = new Vector<float>(last);
            while (id <= logits.Length - Vector<float>.Count && !Vector.EqualsAny(new Vector<float>(logits[id..]), lastVector))
            {
                id += Vector<float>.Count;
            }
        }

        for (; id < logits.Length; id++)
        {
            if (logits[id] == last)
            {
                ranked[count++] = id;
            }
        }

        return count;
    }

    /// <summary>Sorts token ids best first (heap sort: O(n log n), no allocation).</summary>
    public static void Sort(Span<int> ids, ReadOnlySpan<float> logits)
    {
        for (int i = ids.Length / 2 - 1; i >= 0; i--)
        {
            SiftDown(ids, i, ids.Length, logits);
        }

        for (int end = ids.Length - 1; end > 0; end--)
        {
            (ids[0], ids[end]) = (ids[end], ids[0]);
            SiftDown(ids, 0, end, logits);
        }
    }

    private static bool RanksAfter(float logit, int id, float boundLogit, int boundId) =>
        logit < boundLogit || (logit == boundLogit && id > boundId);

    /// <summary>True when token a ranks below token b (the heap keeps the lowest-ranked at its root).</summary>
    private static bool Worse(int a, int b, ReadOnlySpan<float> logits) =>
        logits[a] < logits[b] || (logits[a] == logits[b] && a > b);

    private static void SiftUp(Span<int> heap, int index, ReadOnlySpan<float> logits)
    {
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            if (!Worse(heap[index], heap[parent], logits))
            {
                return;
            }

            (heap[index], heap[parent]) = (heap[parent], heap[index]);
            index = parent;
        }
    }

    private static void SiftDown(Span<int> heap, int index, int count, ReadOnlySpan<float> logits)
    {
        while (true)
        {
            int left = 2 * index + 1;
            if (left >= count)
            {
                return;
            }

            int child = left + 1 < count && Worse(heap[left + 1], heap[left], logits) ? left + 1 : left;
            if (!Worse(heap[child], heap[index], logits))
            {
                return;
            }

            (heap[index], heap[child]) = (heap[child], heap[index]);
            index = child;
        }
    }
}
