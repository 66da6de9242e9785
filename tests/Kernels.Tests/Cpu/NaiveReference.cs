namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>Straight-loop double-precision versions of the kernels, written from the formulas, to test against.</summary>
internal static class NaiveReference
{
    public static double[] MatMul(float[] x, float[] w, float[]? bias, int tokens, int inputs, int outputs)
    {
        var y = new double[tokens * outputs];
        for (int t = 0; t < tokens; t++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = 0;
                for (int k = 0; k < inputs; k++)
                {
                    sum += (double)x[(t * inputs) + k] * w[(o * inputs) + k];
                }

                y[(t * outputs) + o] = sum + (bias is null ? 0 : bias[o]);
            }
        }

        return y;
    }

    /// <summary>Σ|x·w| per output: the scale a float dot product's rounding error is proportional to.</summary>
    public static double[] MatMulMagnitude(float[] x, float[] w, int tokens, int inputs, int outputs)
    {
        var m = new double[tokens * outputs];
        for (int t = 0; t < tokens; t++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = 0;
                for (int k = 0; k < inputs; k++)
                {
                    sum += Math.Abs((double)x[(t * inputs) + k] * w[(o * inputs) + k]);
                }

                m[(t * outputs) + o] = sum;
            }
        }

        return m;
    }

    public static double[] RmsNorm(float[] x, float[] weight, double eps, int rows, int cols)
    {
        var y = new double[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < cols; c++)
            {
                sum += (double)x[(r * cols) + c] * x[(r * cols) + c];
            }

            double inverse = 1 / Math.Sqrt((sum / cols) + eps);
            for (int c = 0; c < cols; c++)
            {
                y[(r * cols) + c] = x[(r * cols) + c] * inverse * weight[c];
            }
        }

        return y;
    }

    public static double Silu(double g) => g / (1 + Math.Exp(-g));

    /// <summary>HF rotate-half RoPE: q·cos + rotate_half(q)·sin with rotate_half(q) = [-q2, q1], angle = position·invFreq in fp32.</summary>
    public static double[] Rope(float[] x, int rows, int cols, int headDim, int[] positions, float[] invFreq, double scaling)
    {
        // transformers' partial rotary: q_rot = q[..., :r] gets x·cos + rotate_half(x)·sin, q_pass = q[..., r:] is kept;
        // r = 2·|invFreq| (= headDim for full rotary).
        var y = new double[rows * cols];
        int half = invFreq.Length;
        int rotary = 2 * half;
        for (int r = 0; r < rows; r++)
        {
            for (int head = 0; head < cols / headDim; head++)
            {
                for (int i = 0; i < headDim; i++)
                {
                    if (i >= rotary)
                    {
                        y[(r * cols) + (head * headDim) + i] = x[(r * cols) + (head * headDim) + i];
                        continue;
                    }

                    int freq = i % half;
                    double angle = (float)positions[r] * invFreq[freq]; // HF multiplies in fp32
                    double cos = Math.Cos(angle) * scaling;
                    double sin = Math.Sin(angle) * scaling;
                    int at = (r * cols) + (head * headDim);
                    double rotated = i < half ? -x[at + i + half] : x[at + i - half];
                    y[at + i] = (x[at + i] * cos) + (rotated * sin);
                }
            }
        }

        return y;
    }

    /// <summary>
    /// Attention of every query row over the keys of its sequence at positions ≤ its own (within the window),
    /// found through the block tables; returns the outputs and the natural log-sum-exp of the scaled scores.
    /// </summary>
    public static (double[] Output, double[] Lse) Attention(
        float[] queries, float[] keyCache, float[] valueCache, int[] sequences, int[] positions, int[,] blockTables, AttentionShape shape)
    {
        int rows = sequences.Length;
        int d = shape.HeadDim;
        var output = new double[rows * shape.QueryWidth];
        var lse = new double[rows * shape.NumHeads];
        for (int t = 0; t < rows; t++)
        {
            for (int h = 0; h < shape.NumHeads; h++)
            {
                int kvHead = h / (shape.NumHeads / shape.NumKvHeads);
                int first = shape.SlidingWindow > 0 ? Math.Max(0, positions[t] - shape.SlidingWindow + 1) : 0;
                var scores = new List<(double Score, int Slot)>();
                for (int j = first; j <= positions[t]; j++)
                {
                    int slot = (blockTables[sequences[t], j / shape.BlockSize] * shape.BlockSize) + (j % shape.BlockSize);
                    double dot = 0;
                    for (int i = 0; i < d; i++)
                    {
                        dot += (double)queries[(t * shape.QueryWidth) + (h * d) + i] * keyCache[(slot * shape.KvWidth) + (kvHead * d) + i];
                    }

                    double score = dot * shape.Scale;
                    scores.Add((shape.SoftCap > 0 ? Math.Tanh(score / shape.SoftCap) * shape.SoftCap : score, slot));
                }

                double max = scores.Max(s => s.Score);
                double sum = scores.Sum(s => Math.Exp(s.Score - max));
                for (int i = 0; i < d; i++)
                {
                    double acc = 0;
                    foreach ((double score, int slot) in scores)
                    {
                        acc += Math.Exp(score - max) / sum * valueCache[(slot * shape.KvWidth) + (kvHead * d) + i];
                    }

                    output[(t * shape.QueryWidth) + (h * d) + i] = acc;
                }

                lse[(t * shape.NumHeads) + h] = max + Math.Log(sum);
            }
        }

        return (output, lse);
    }

    /// <summary>Merges two attention results over disjoint key sets by their log-sum-exps (the split-K combine step).</summary>
    public static (double[] Output, double Lse) MergeByLse(ReadOnlySpan<float> outA, double lseA, ReadOnlySpan<float> outB, double lseB)
    {
        double max = Math.Max(lseA, lseB);
        double lse = max + Math.Log(Math.Exp(lseA - max) + Math.Exp(lseB - max));
        var merged = new double[outA.Length];
        for (int i = 0; i < merged.Length; i++)
        {
            merged[i] = (Math.Exp(lseA - lse) * outA[i]) + (Math.Exp(lseB - lse) * outB[i]);
        }

        return (merged, lse);
    }
}
