namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// transformers' GemmaForCausalLM, Gemma2ForCausalLM and Gemma3ForCausalLM forward passes (modeling_gemma.py,
/// modeling_gemma2.py, modeling_gemma3.py) written out in float64 loops, sharing nothing with the engine: embeddings
/// times √hidden (rounded to float32 as torch.tensor(..., dtype=float32) does), GemmaRMSNorm x/rms(x)·(1 + w), Gemma 3's
/// q_norm/k_norm, RoPE by rotate_half with per-layer-type θ (and linear scaling on full-attention layers), causal GQA
/// attention with sliding windows (keys j with i − window &lt; j ≤ i), scale query_pre_attn_scalar^-0.5, Gemma 2's
/// tanh soft cap on scores, GELU(tanh)-gated MLP, Gemma 2/3's post-attention / pre- and post-feedforward norms, final
/// norm, tied LM head, final logit soft cap. The test oracle for Gemma.
/// </summary>
internal static class NaiveGemma
{
    /// <summary>The architecture knobs the three versions differ in.</summary>
    public sealed record Options(int Version, int Layers, int Heads, int KvHeads, int HeadDim, double Eps, string Prefix = "model.")
    {
        public double? QueryPreAttnScalar { get; init; }

        public double? AttnSoftCap { get; init; }

        public double? FinalSoftCap { get; init; }

        public int SlidingWindow { get; init; }

        /// <summary>Which layers slide (the rest attend fully).</summary>
        public Func<int, bool> IsSliding { get; init; } = _ => false;

        public double GlobalTheta { get; init; } = 10000;

        public double LocalTheta { get; init; } = 10000;

        /// <summary>Linear rope scaling factor of full-attention layers (Gemma 3's rope_scaling).</summary>
        public double GlobalLinearFactor { get; init; } = 1;
    }

    /// <summary>Logits at every position of <paramref name="ids"/>.</summary>
    public static double[][] Logits(Dictionary<string, (float[] Data, long[] Shape)> w, int[] ids, Options o)
    {
        var embed = w[o.Prefix + "embed_tokens.weight"];
        var hidden = (int)embed.Shape[1];
        var vocab = (int)embed.Shape[0];
        var t = ids.Length;
        double normalizer = (float)Math.Sqrt(hidden);
        var x = ids.Select(id => Enumerable.Range(0, hidden).Select(j => embed.Data[(id * hidden) + j] * normalizer).ToArray()).ToArray();
        for (var l = 0; l < o.Layers; l++)
        {
            var p = $"{o.Prefix}layers.{l}.";
            var sliding = o.IsSliding(l);
            var theta = o.Version == 3 && sliding ? o.LocalTheta : o.GlobalTheta;
            var factor = o.Version == 3 && !sliding ? o.GlobalLinearFactor : 1;
            var h = x.Select(row => Norm(row, w[p + "input_layernorm.weight"].Data, o.Eps)).ToArray();
            var q = h.Select(row => Linear(row, w[p + "self_attn.q_proj.weight"].Data, o.Heads * o.HeadDim)).ToArray();
            var k = h.Select(row => Linear(row, w[p + "self_attn.k_proj.weight"].Data, o.KvHeads * o.HeadDim)).ToArray();
            var v = h.Select(row => Linear(row, w[p + "self_attn.v_proj.weight"].Data, o.KvHeads * o.HeadDim)).ToArray();
            for (var i = 0; i < t; i++)
            {
                NormHeadsAndRotate(q[i], o.Heads, o.HeadDim, o.Version == 3 ? w[p + "self_attn.q_norm.weight"].Data : null, o.Eps, i, theta, factor);
                NormHeadsAndRotate(k[i], o.KvHeads, o.HeadDim, o.Version == 3 ? w[p + "self_attn.k_norm.weight"].Data : null, o.Eps, i, theta, factor);
            }

            var scaling = o.Version == 1 ? 1 / Math.Sqrt(o.HeadDim) : Math.Pow(o.QueryPreAttnScalar!.Value, -0.5);
            for (var i = 0; i < t; i++)
            {
                var attention = new double[o.Heads * o.HeadDim];
                var first = sliding ? Math.Max(0, i - o.SlidingWindow + 1) : 0;
                for (var head = 0; head < o.Heads; head++)
                {
                    var kv = head / (o.Heads / o.KvHeads);
                    var scores = new double[i + 1 - first];
                    for (var j = first; j <= i; j++)
                    {
                        double dot = 0;
                        for (var d = 0; d < o.HeadDim; d++)
                        {
                            dot += q[i][(head * o.HeadDim) + d] * k[j][(kv * o.HeadDim) + d];
                        }

                        var s = dot * scaling;
                        scores[j - first] = o.AttnSoftCap is { } cap ? Math.Tanh(s / cap) * cap : s;
                    }

                    var max = scores.Max();
                    var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var sum = weights.Sum();
                    for (var j = first; j <= i; j++)
                    {
                        for (var d = 0; d < o.HeadDim; d++)
                        {
                            attention[(head * o.HeadDim) + d] += weights[j - first] / sum * v[j][(kv * o.HeadDim) + d];
                        }
                    }
                }

                h[i] = attention;
            }

            for (var i = 0; i < t; i++)
            {
                var attn = Linear(h[i], w[p + "self_attn.o_proj.weight"].Data, hidden);
                if (o.Version == 1)
                {
                    Add(x[i], attn);
                    Add(x[i], Mlp(w, p, Norm(x[i], w[p + "post_attention_layernorm.weight"].Data, o.Eps), hidden));
                }
                else
                {
                    Add(x[i], Norm(attn, w[p + "post_attention_layernorm.weight"].Data, o.Eps));
                    var mlp = Mlp(w, p, Norm(x[i], w[p + "pre_feedforward_layernorm.weight"].Data, o.Eps), hidden);
                    Add(x[i], Norm(mlp, w[p + "post_feedforward_layernorm.weight"].Data, o.Eps));
                }
            }
        }

        return x.Select(row =>
        {
            var logits = Linear(Norm(row, w[o.Prefix + "norm.weight"].Data, o.Eps), embed.Data, vocab);
            return o.FinalSoftCap is { } cap ? logits.Select(z => Math.Tanh(z / cap) * cap).ToArray() : logits;
        }).ToArray();
    }

    public static double GeluTanh(double g) => 0.5 * g * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (g + (0.044715 * g * g * g))));

    private static double[] Mlp(Dictionary<string, (float[] Data, long[] Shape)> w, string p, double[] x, int hidden)
    {
        var inter = (int)w[p + "mlp.gate_proj.weight"].Shape[0];
        var gate = Linear(x, w[p + "mlp.gate_proj.weight"].Data, inter);
        var up = Linear(x, w[p + "mlp.up_proj.weight"].Data, inter);
        return Linear(gate.Select((g, j) => GeluTanh(g) * up[j]).ToArray(), w[p + "mlp.down_proj.weight"].Data, hidden);
    }

    private static void Add(double[] accumulator, double[] x)
    {
        for (var j = 0; j < x.Length; j++)
        {
            accumulator[j] += x[j];
        }
    }

    /// <summary>GemmaRMSNorm: x / √(mean(x²) + eps) · (1 + w).</summary>
    private static double[] Norm(double[] x, float[] weight, double eps)
    {
        var inverse = 1 / Math.Sqrt((x.Sum(v => v * v) / x.Length) + eps);
        return x.Select((v, i) => v * inverse * (1.0 + weight[i])).ToArray();
    }

    /// <summary>y = W·x for W stored [outFeatures × x.Length] row-major (a torch Linear weight).</summary>
    private static double[] Linear(double[] x, float[] weight, int outFeatures)
    {
        var y = new double[outFeatures];
        for (var o = 0; o < outFeatures; o++)
        {
            double sum = 0;
            for (var i = 0; i < x.Length; i++)
            {
                sum += weight[(o * x.Length) + i] * x[i];
            }

            y[o] = sum;
        }

        return y;
    }

    /// <summary>Each head: GemmaRMSNorm with <paramref name="weight"/> when given, then RoPE at <paramref name="position"/>, frequencies θ^(-2i/d) / factor.</summary>
    private static void NormHeadsAndRotate(double[] row, int count, int headDim, float[]? weight, double eps, int position, double theta, double factor)
    {
        var half = headDim / 2;
        for (var head = 0; head < count; head++)
        {
            var slice = row[(head * headDim)..((head + 1) * headDim)];
            if (weight is not null)
            {
                slice = Norm(slice, weight, eps);
            }

            for (var i = 0; i < half; i++)
            {
                var angle = position * Math.Pow(theta, -2.0 * i / headDim) / factor;
                var (sin, cos) = Math.SinCos(angle);
                row[(head * headDim) + i] = (slice[i] * cos) - (slice[i + half] * sin);
                row[(head * headDim) + i + half] = (slice[i + half] * cos) + (slice[i] * sin);
            }
        }
    }
}
