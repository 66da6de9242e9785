using InferMesh.Kernels;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// Straightforward float64 implementations of the backend operations, written from the formulas in
/// IComputeBackend's documentation (and Hugging Face's Llama modeling code), independent of any kernel.
/// </summary>
internal static class ReferenceMath
{
    public static float[] RmsNorm(float[] x, float[] weight, int rows, int cols, float eps)
    {
        var y = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < cols; c++)
                sum += (double)x[r * cols + c] * x[r * cols + c];
            double inverse = 1.0 / Math.Sqrt(sum / cols + eps);
            for (int c = 0; c < cols; c++)
                y[r * cols + c] = (float)(x[r * cols + c] * inverse * weight[c]);
        }

        return y;
    }

    public static float[] MatMul(float[] x, float[] w, float[]? bias, int rows, int inFeatures, int outFeatures)
    {
        var y = new float[rows * outFeatures];
        Parallel.For(0, rows, r =>
        {
            for (int o = 0; o < outFeatures; o++)
            {
                double sum = bias is null ? 0 : bias[o];
                for (int k = 0; k < inFeatures; k++)
                    sum += (double)x[r * inFeatures + k] * w[o * inFeatures + k];
                y[r * outFeatures + o] = (float)sum;
            }
        });
        return y;
    }

    public static float[] SiluMul(float[] gate, float[] up)
    {
        var y = new float[gate.Length];
        for (int i = 0; i < y.Length; i++)
            y[i] = (float)(gate[i] / (1 + Math.Exp(-gate[i])) * up[i]);
        return y;
    }

    /// <summary>Rotate-half RoPE with the angle rounded to fp32 first, as transformers computes it.</summary>
    public static float[] Rope(float[] x, int rows, int cols, int headDim, int[] positions, float[] invFreq, float scaling)
    {
        // Pairs (i, i + r/2) of the first r = 2·|invFreq| values of each head rotate; the rest stay (partial rotary).
        var y = (float[])x.Clone();
        int half = invFreq.Length;
        for (int r = 0; r < rows; r++)
        {
            for (int h = 0; h < cols / headDim; h++)
            {
                for (int i = 0; i < half; i++)
                {
                    double angle = (float)(positions[r] * invFreq[i]);
                    double cos = Math.Cos(angle) * scaling;
                    double sin = Math.Sin(angle) * scaling;
                    int a = r * cols + h * headDim + i;
                    double x1 = x[a];
                    double x2 = x[a + half];
                    y[a] = (float)(x1 * cos - x2 * sin);
                    y[a + half] = (float)(x2 * cos + x1 * sin);
                }
            }
        }

        return y;
    }

    /// <summary>Paged causal attention exactly as AttentionBatch describes it; returns output and natural-log LSE.</summary>
    public static (float[] Output, float[] Lse) Attention(float[] q, float[] keyPool, float[] valuePool, PagedLayout layout, AttentionShape shape)
    {
        int rows = layout.QuerySequence.Length;
        var output = new float[rows * shape.QueryWidth];
        var lse = new float[rows * shape.NumHeads];
        int group = shape.NumHeads / shape.NumKvHeads;
        Parallel.For(0, rows, t =>
        {
            int sequence = layout.QuerySequence[t];
            int position = layout.QueryPosition[t];
            int low = shape.SlidingWindow > 0 ? Math.Max(0, position - shape.SlidingWindow + 1) : 0;
            var scores = new double[position - low + 1];
            for (int h = 0; h < shape.NumHeads; h++)
            {
                int kvHead = h / group;
                double max = double.NegativeInfinity;
                for (int j = low; j <= position; j++)
                {
                    long slot = layout.Slot(sequence, j, shape.BlockSize);
                    double dot = 0;
                    for (int d = 0; d < shape.HeadDim; d++)
                        dot += (double)q[t * shape.QueryWidth + h * shape.HeadDim + d] * keyPool[slot * shape.KvWidth + kvHead * shape.HeadDim + d];
                    scores[j - low] = dot * shape.Scale;
                    if (shape.SoftCap > 0)
                        scores[j - low] = Math.Tanh(scores[j - low] / shape.SoftCap) * shape.SoftCap; // Gemma 2

                    max = Math.Max(max, scores[j - low]);
                }

                double sum = 0;
                for (int j = 0; j < scores.Length; j++)
                    sum += Math.Exp(scores[j] - max);
                for (int d = 0; d < shape.HeadDim; d++)
                {
                    double value = 0;
                    for (int j = low; j <= position; j++)
                    {
                        long slot = layout.Slot(sequence, j, shape.BlockSize);
                        value += Math.Exp(scores[j - low] - max) * valuePool[slot * shape.KvWidth + kvHead * shape.HeadDim + d];
                    }

                    output[t * shape.QueryWidth + h * shape.HeadDim + d] = (float)(value / sum);
                }

                lse[t * shape.NumHeads + h] = (float)(max + Math.Log(sum));
            }
        });
        return (output, lse);
    }
}
