using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>
/// Naive double-precision reference for the sampler: full sort, plain softmax, HF's warpers written the obvious way
/// (transformers/generation/logits_process.py: TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper,
/// MinPLogitsWarper), plus the statistics the distribution tests need.
/// </summary>
internal static class SamplingReference
{
    public static double[] LogSoftmax(float[] logits)
    {
        double max = logits.Max();
        double logSum = Math.Log(logits.Sum(l => Math.Exp(l - max)));
        return logits.Select(l => l - max - logSum).ToArray();
    }

    /// <summary>Token ids best first: higher logit, then lower id.</summary>
    public static int[] Ranked(float[] logits) =>
        Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();

    /// <summary>The probability of every token after temperature, top-k, top-p and min-p, renormalised.</summary>
    public static double[] Distribution(float[] logits, double temperature = 1, int topK = 0, double topP = 1, double minP = 0)
    {
        int[] ranked = Ranked(logits);
        // HF's TopKLogitsWarper removes scores < the k-th best score: ties with the k-th stay.
        int kept = topK > 0 && topK < ranked.Length
            ? ranked.Count(i => logits[i] >= logits[ranked[topK - 1]])
            : ranked.Length;
        double max = logits[ranked[0]] / temperature;
        double[] weight = new double[logits.Length];
        for (int j = 0; j < kept; j++)
        {
            weight[ranked[j]] = Math.Exp(logits[ranked[j]] / temperature - max);
        }

        if (topP < 1)
        {
            double total = weight.Sum();
            double cumulative = 0;
            for (int j = 0; j < kept; j++)
            {
                if (j > 0 && cumulative >= topP * total)
                {
                    kept = j;
                    break;
                }

                cumulative += weight[ranked[j]];
            }
        }

        for (int j = kept; j < ranked.Length; j++)
        {
            weight[ranked[j]] = 0;
        }

        if (minP > 0)
        {
            double top = weight[ranked[0]];
            for (int j = 0; j < ranked.Length; j++)
            {
                if (weight[ranked[j]] < minP * top)
                {
                    weight[ranked[j]] = 0;
                }
            }
        }

        double sum = weight.Sum();
        return weight.Select(w => w / sum).ToArray();
    }

    /// <summary>Counts of each token over <paramref name="samples"/> draws, fresh logits each time.</summary>
    public static int[] Histogram(TokenSampler sampler, float[] logits, int samples)
    {
        var counts = new int[logits.Length];
        var row = new float[logits.Length];
        for (int s = 0; s < samples; s++)
        {
            logits.CopyTo(row, 0);
            counts[sampler.Sample(row)]++;
        }

        return counts;
    }

    /// <summary>
    /// Pearson's χ² of observed counts against expected probabilities, with bins expected below 5 draws lumped
    /// together (the usual validity rule). Throws if a token of probability 0 was drawn.
    /// </summary>
    public static (double Statistic, int DegreesOfFreedom) ChiSquare(int[] observed, double[] expected)
    {
        int samples = observed.Sum();
        double statistic = 0;
        int bins = 0;
        double lumpedExpected = 0;
        int lumpedObserved = 0;
        for (int i = 0; i < observed.Length; i++)
        {
            if (expected[i] == 0)
            {
                Assert.True(observed[i] == 0, $"token {i} has probability 0 but was drawn {observed[i]} times");
                continue;
            }

            double e = expected[i] * samples;
            if (e < 5)
            {
                lumpedExpected += e;
                lumpedObserved += observed[i];
                continue;
            }

            statistic += (observed[i] - e) * (observed[i] - e) / e;
            bins++;
        }

        if (lumpedExpected > 0)
        {
            statistic += (lumpedObserved - lumpedExpected) * (lumpedObserved - lumpedExpected) / lumpedExpected;
            bins++;
        }

        return (statistic, bins - 1);
    }

    /// <summary>
    /// χ² critical value at significance 1e-4 (z = 3.719) by the Wilson–Hilferty approximation
    /// (Wilson &amp; Hilferty 1931): df·(1 − 2/(9df) + z·√(2/(9df)))³.
    /// </summary>
    public static double ChiSquareCritical(int degreesOfFreedom)
    {
        double a = 2.0 / (9.0 * degreesOfFreedom);
        return degreesOfFreedom * Math.Pow(1 - a + 3.719 * Math.Sqrt(a), 3);
    }

    public static void AssertFollows(int[] observed, double[] expected)
    {
        var (statistic, df) = ChiSquare(observed, expected);
        Assert.True(df > 0, "the distribution has a single bin; the test would prove nothing");
        double critical = ChiSquareCritical(df);
        Assert.True(statistic < critical, $"χ² = {statistic:F1} with {df} degrees of freedom exceeds {critical:F1}");
    }

    /// <summary>Test logits: normal with the given spread, from a fixed seed (only the test data, not the sampler).</summary>
    public static float[] RandomLogits(int vocabSize, double spread, int seed)
    {
        var random = new Random(seed);
        var logits = new float[vocabSize];
        for (int i = 0; i < vocabSize; i++)
        {
            double u1 = 1 - random.NextDouble();
            double u2 = random.NextDouble();
            logits[i] = (float)(spread * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return logits;
    }
}
