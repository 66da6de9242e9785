namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// transformers' Qwen3ForCausalLM forward (modeling_qwen3.py) written out in float64 loops: RMSNorm, q/k/v projections,
/// q_norm / k_norm over each head, RoPE by rotate_half, causal GQA attention, SiLU-gated MLP, final norm, tied LM head.
/// Slow and independent of the engine's kernels; the test oracle for qwen3.
/// </summary>
internal static class NaiveQwen3
{
    /// <summary>
    /// Logits at every position of <paramref name="ids"/>. <paramref name="invFreq"/> overrides the default frequencies
    /// θ^(−2i/d); fewer than headDim/2 of them rotate only the leading 2·|invFreq| values of each head (partial rotary:
    /// q_rot | q_pass), and cos/sin are multiplied by <paramref name="attentionScaling"/> (longrope, yarn).
    /// </summary>
    /// <remarks>
    /// Also the mixture-of-experts kin (Qwen2MoeSparseMoeBlock / Qwen3MoeSparseMoeBlock): a layer with mlp.gate.weight
    /// routes each token to its <paramref name="topK"/> experts by softmax(router), optionally renormalised, plus a
    /// shared expert scaled by sigmoid(shared_expert_gate) when present; q/k/v biases are used when present and q/k
    /// norms only when present.
    /// </remarks>
    public static double[][] Logits(Dictionary<string, (float[] Data, long[] Shape)> w, int[] ids, int layers, int heads, int kvHeads, int headDim, double eps, double theta, double[]? invFreq = null, double attentionScaling = 1, int topK = 0, bool normalizeTopK = false, bool[]? ropeLayers = null, GraniteScalars? granite = null)
    {
        var frequencies = invFreq ?? Enumerable.Range(0, headDim / 2).Select(i => Math.Pow(theta, -2.0 * i / headDim)).ToArray();
        var embed = w["model.embed_tokens.weight"];
        var hidden = (int)embed.Shape[1];
        var vocab = (int)embed.Shape[0];
        var t = ids.Length;
        var g = granite ?? new GraniteScalars(1, 1 / Math.Sqrt(headDim), 1, 1);
        var x = ids.Select(id => Enumerable.Range(0, hidden).Select(j => embed.Data[(id * hidden) + j] * g.Embedding).ToArray()).ToArray();
        for (var l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            var h = x.Select(row => Norm(row, w[p + "input_layernorm.weight"].Data, eps)).ToArray();
            var q = h.Select(row => Linear(row, w[p + "self_attn.q_proj.weight"].Data, heads * headDim, Bias(w, p + "self_attn.q_proj.bias"))).ToArray();
            var k = h.Select(row => Linear(row, w[p + "self_attn.k_proj.weight"].Data, kvHeads * headDim, Bias(w, p + "self_attn.k_proj.bias"))).ToArray();
            var v = h.Select(row => Linear(row, w[p + "self_attn.v_proj.weight"].Data, kvHeads * headDim, Bias(w, p + "self_attn.v_proj.bias"))).ToArray();
            var layerFrequencies = ropeLayers is null || ropeLayers[l] ? frequencies : []; // SmolLM3's NoPE layers: no rotation
            for (var i = 0; i < t; i++)
            {
                NormHeadsAndRotate(q[i], heads, headDim, Bias(w, p + "self_attn.q_norm.weight"), eps, i, layerFrequencies, attentionScaling);
                NormHeadsAndRotate(k[i], kvHeads, headDim, Bias(w, p + "self_attn.k_norm.weight"), eps, i, layerFrequencies, attentionScaling);
            }

            var attention = new double[t][];
            for (var i = 0; i < t; i++)
            {
                attention[i] = new double[heads * headDim];
                for (var head = 0; head < heads; head++)
                {
                    var kv = head / (heads / kvHeads);
                    var scores = new double[i + 1];
                    for (var j = 0; j <= i; j++)
                    {
                        double dot = 0;
                        for (var d = 0; d < headDim; d++)
                        {
                            dot += q[i][(head * headDim) + d] * k[j][(kv * headDim) + d];
                        }

                        scores[j] = dot * g.Attention;
                    }

                    var max = scores.Max();
                    var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var sum = weights.Sum();
                    for (var j = 0; j <= i; j++)
                    {
                        for (var d = 0; d < headDim; d++)
                        {
                            attention[i][(head * headDim) + d] += weights[j] / sum * v[j][(kv * headDim) + d];
                        }
                    }
                }
            }

            for (var i = 0; i < t; i++)
            {
                var o = Linear(attention[i], w[p + "self_attn.o_proj.weight"].Data, hidden);
                for (var j = 0; j < hidden; j++)
                {
                    x[i][j] += o[j] * g.Residual;
                }

                var m = Norm(x[i], w[p + "post_attention_layernorm.weight"].Data, eps);
                var down = w.ContainsKey(p + "mlp.gate.weight") ? SparseMlp(w, p + "mlp.", m, hidden, topK, normalizeTopK) : Mlp(w, p + "mlp.", m, hidden);
                for (var j = 0; j < hidden; j++)
                {
                    x[i][j] += down[j] * g.Residual;
                }
            }
        }

        return x.Select(row => Linear(Norm(row, w["model.norm.weight"].Data, eps), embed.Data, vocab).Select(l => l / g.LogitsScaling).ToArray()).ToArray();
    }

    private static float[]? Bias(Dictionary<string, (float[] Data, long[] Shape)> w, string name) => w.TryGetValue(name, out var t) ? t.Data : null;

    /// <summary>down(silu(gate(m)) · up(m)) with the weights under <paramref name="prefix"/>.</summary>
    private static double[] Mlp(Dictionary<string, (float[] Data, long[] Shape)> w, string prefix, double[] m, int hidden)
    {
        var inter = (int)w[prefix + "gate_proj.weight"].Shape[0];
        var gate = Linear(m, w[prefix + "gate_proj.weight"].Data, inter);
        var up = Linear(m, w[prefix + "up_proj.weight"].Data, inter);
        var act = gate.Select((g, j) => g / (1 + Math.Exp(-g)) * up[j]).ToArray();
        return Linear(act, w[prefix + "down_proj.weight"].Data, hidden);
    }

    /// <summary>Σ over the top-k experts of softmax(router)·expert(m), plus sigmoid(shared gate)·shared(m) if there is one.</summary>
    private static double[] SparseMlp(Dictionary<string, (float[] Data, long[] Shape)> w, string prefix, double[] m, int hidden, int topK, bool normalize)
    {
        var router = w[prefix + "gate.weight"];
        var logits = Linear(m, router.Data, (int)router.Shape[0]);
        var max = logits.Max();
        var probabilities = logits.Select(l => Math.Exp(l - max)).ToArray();
        var sum = probabilities.Sum();
        var chosen = probabilities.Select((pr, e) => (P: pr / sum, E: e)).OrderByDescending(c => c.P).ThenBy(c => c.E).Take(topK).ToArray();
        var total = chosen.Sum(c => c.P);
        var output = new double[hidden];
        foreach (var (probability, expert) in chosen)
        {
            var y = Mlp(w, $"{prefix}experts.{expert}.", m, hidden);
            var weight = normalize ? probability / total : probability;
            for (var j = 0; j < hidden; j++)
            {
                output[j] += weight * y[j];
            }
        }

        if (w.ContainsKey(prefix + "shared_expert_gate.weight"))
        {
            var shared = Mlp(w, prefix + "shared_expert.", m, hidden);
            var gate = 1 / (1 + Math.Exp(-Linear(m, w[prefix + "shared_expert_gate.weight"].Data, 1)[0]));
            for (var j = 0; j < hidden; j++)
            {
                output[j] += gate * shared[j];
            }
        }

        return output;
    }

    private static double[] Norm(double[] x, float[] weight, double eps)
    {
        var inverse = 1 / Math.Sqrt((x.Sum(v => v * v) / x.Length) + eps);
        return x.Select((v, i) => v * inverse * weight[i]).ToArray();
    }

    /// <summary>y = W·x for W stored [outFeatures × x.Length] row-major (a torch Linear weight).</summary>
    private static double[] Linear(double[] x, float[] weight, int outFeatures, float[]? bias = null)
    {
        var y = new double[outFeatures];
        for (var o = 0; o < outFeatures; o++)
        {
            double sum = bias?[o] ?? 0;
            for (var i = 0; i < x.Length; i++)
            {
                sum += weight[(o * x.Length) + i] * x[i];
            }

            y[o] = sum;
        }

        return y;
    }

    /// <summary>Each head: RMSNorm with <paramref name="weight"/>, then RoPE at <paramref name="position"/> (x·cos + rotate_half(x)·sin) over its first 2·|frequencies| values.</summary>
    private static void NormHeadsAndRotate(double[] row, int count, int headDim, float[]? weight, double eps, int position, double[] frequencies, double scaling)
    {
        var half = frequencies.Length;
        for (var head = 0; head < count; head++)
        {
            var slice = row[(head * headDim)..((head + 1) * headDim)];
            slice = weight is null ? slice : Norm(slice, weight, eps);
            slice.CopyTo(row, head * headDim);
            for (var i = 0; i < half; i++)
            {
                var (sin, cos) = Math.SinCos(position * frequencies[i]);
                row[(head * headDim) + i] = ((slice[i] * cos) - (slice[i + half] * sin)) * scaling;
                row[(head * headDim) + i + half] = ((slice[i + half] * cos) + (slice[i] * sin)) * scaling;
            }
        }
    }
}
