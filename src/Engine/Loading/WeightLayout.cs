namespace InferMesh.Engine.Loading;

/// <summary>
/// The tensors a Llama-family model must have, named as Hugging Face saves them, with the shapes its config implies.
/// <see cref="Validate"/> checks a store against it before anything is uploaded to a device.
/// </summary>
public sealed class WeightLayout(ModelConfig config)
{
    /// <summary>Expected (name, shape, the config fields the shape comes from, optional) tuples; <paramref name="prefix"/> as <see cref="TextWeightPrefix"/> resolves it.</summary>
    public IEnumerable<(string Name, long[] Shape, string Because, bool Optional)> Expected(string prefix = "model.")
    {
        long h = config.HiddenSize, v = config.VocabSize, inter = config.IntermediateSize;
        long q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        yield return (prefix + "embed_tokens.weight", [v, h], "vocab_size × hidden_size", false);
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var p = $"{prefix}layers.{i}.";
            yield return (p + "input_layernorm.weight", [h], "hidden_size", false);
            if (config.FusedProjections)
            {
                yield return (p + "self_attn.qkv_proj.weight", [q + (2 * kv), h], "(num_attention_heads + 2·num_key_value_heads)·head_dim × hidden_size", false);
            }
            else
            {
                yield return (p + "self_attn.q_proj.weight", [q, h], "num_attention_heads·head_dim × hidden_size", false);
                yield return (p + "self_attn.k_proj.weight", [kv, h], "num_key_value_heads·head_dim × hidden_size", false);
                yield return (p + "self_attn.v_proj.weight", [kv, h], "num_key_value_heads·head_dim × hidden_size", false);
            }

            if (config.QkvBias)
            {
                yield return (p + "self_attn.q_proj.bias", [q], "num_attention_heads·head_dim (qkv bias)", false);
                yield return (p + "self_attn.k_proj.bias", [kv], "num_key_value_heads·head_dim (qkv bias)", false);
                yield return (p + "self_attn.v_proj.bias", [kv], "num_key_value_heads·head_dim (qkv bias)", false);
            }

            if (config.QkNorm)
            {
                yield return (p + "self_attn.q_norm.weight", [config.HeadDim], "head_dim (q_norm)", false);
                yield return (p + "self_attn.k_norm.weight", [config.HeadDim], "head_dim (k_norm)", false);
            }

            yield return (p + "self_attn.o_proj.weight", [h, q], "hidden_size × num_attention_heads·head_dim", false);
            if (config.OutputBias)
            {
                yield return (p + "self_attn.o_proj.bias", [h], "hidden_size (attention_bias)", false);
            }

            yield return (p + "post_attention_layernorm.weight", [h], "hidden_size", false);
            if (config.SandwichNorms)
            {
                yield return (p + "pre_feedforward_layernorm.weight", [h], "hidden_size (Gemma 2/3)", false);
                yield return (p + "post_feedforward_layernorm.weight", [h], "hidden_size (Gemma 2/3)", false);
            }

            if (config.Experts is { } experts && experts.AppliesTo(i))
            {
                foreach (var expected in ExpertTensors(experts, i))
                {
                    yield return expected;
                }

                continue;
            }

            if (config.FusedProjections)
            {
                yield return (p + "mlp.gate_up_proj.weight", [2 * inter, h], "2·intermediate_size × hidden_size", false);
            }
            else
            {
                yield return (p + "mlp.gate_proj.weight", [inter, h], "intermediate_size × hidden_size", false);
                yield return (p + "mlp.up_proj.weight", [inter, h], "intermediate_size × hidden_size", false);
            }

            yield return (p + "mlp.down_proj.weight", [h, inter], "hidden_size × intermediate_size", false);
            if (config.MlpBias)
            {
                yield return (p + "mlp.gate_proj.bias", [inter], "intermediate_size (mlp_bias)", false);
                yield return (p + "mlp.up_proj.bias", [inter], "intermediate_size (mlp_bias)", false);
                yield return (p + "mlp.down_proj.bias", [h], "hidden_size (mlp_bias)", false);
            }
        }

        yield return (prefix + "norm.weight", [h], "hidden_size", false);
        yield return ("lm_head.weight", [v, h], "vocab_size × hidden_size", config.TieWordEmbeddings);
    }

    /// <summary>The router and experts of a mixture-of-experts layer (mixtral: block_sparse_moe.w1/w3/w2; qwen: mlp.*_proj).</summary>
    private IEnumerable<(string Name, long[] Shape, string Because, bool Optional)> ExpertTensors(ExpertConfig experts, int layer)
    {
        long h = config.HiddenSize, e = experts.IntermediateSize;
        var mixtral = config.ModelType == "mixtral";
        var p = mixtral ? $"model.layers.{layer}.block_sparse_moe." : $"model.layers.{layer}.mlp.";
        var size = mixtral ? "intermediate_size" : "moe_intermediate_size";
        yield return (p + "gate.weight", [experts.Count, h], "experts × hidden_size (router)", false);
        for (var x = 0; x < experts.Count; x++)
        {
            var q = $"{p}experts.{x}.";
            yield return (q + (mixtral ? "w1.weight" : "gate_proj.weight"), [e, h], $"{size} × hidden_size", false);
            yield return (q + (mixtral ? "w3.weight" : "up_proj.weight"), [e, h], $"{size} × hidden_size", false);
            yield return (q + (mixtral ? "w2.weight" : "down_proj.weight"), [h, e], $"hidden_size × {size}", false);
        }

        if (experts.SharedIntermediateSize > 0)
        {
            long s = experts.SharedIntermediateSize;
            yield return (p + "shared_expert.gate_proj.weight", [s, h], "shared_expert_intermediate_size × hidden_size", false);
            yield return (p + "shared_expert.up_proj.weight", [s, h], "shared_expert_intermediate_size × hidden_size", false);
            yield return (p + "shared_expert.down_proj.weight", [h, s], "hidden_size × shared_expert_intermediate_size", false);
            yield return (p + "shared_expert_gate.weight", [1, h], "1 × hidden_size (shared expert gate)", false);
        }
    }

    /// <summary>
    /// Checks that every expected tensor is present with exactly the shape the config implies. Reports every problem
    /// (up to a few) at once, each naming the tensor, its file, the shapes and the config fields behind them.
    /// </summary>
    public void Validate(WeightStore store)
    {
        const int shown = 8;
        var problems = new List<string>();
        var files = string.Join(", ", store.Files.Select(System.IO.Path.GetFileName));
        if (config.Experts is not null && store.Names.FirstOrDefault(n => n.EndsWith(".experts.gate_up_proj", StringComparison.Ordinal)) is { } fused)
        {
            throw new ModelLoadException($"{store.Directory}: tensor '{fused}' holds all experts of a layer fused (transformers 5's in-memory layout); InferMesh reads the per-expert tensors Hub checkpoints ship (…experts.N.gate_proj.weight / w1.weight). Save the model with a transformers version that writes per-expert weights.");
        }

        foreach (var (name, shape, because, optional) in Expected(TextWeightPrefix.Resolve(config, store)))
        {
            if (!store.TryGet(name, out var t))
            {
                if (!optional)
                {
                    var hint = name == "lm_head.weight" ? "; config.json says tie_word_embeddings is false: set it to true if the model shares its embedding" : "";
                    problems.Add($"tensor '{name}' is missing (searched {files} in {store.Directory}); {config.Path} implies shape [{string.Join(", ", shape)}] from {because}{hint}");
                }

                continue;
            }

            if (!t.Shape.SequenceEqual(shape))
            {
                problems.Add($"{t.File}: tensor '{name}' has shape {t.ShapeText} but {config.Path} implies [{string.Join(", ", shape)}] from {because}");
            }
        }

        if (problems.Count == 1)
        {
            throw new ModelLoadException(problems[0] + "; the weights do not belong to this config.");
        }

        if (problems.Count > 1)
        {
            var more = problems.Count > shown ? $"\n  … and {problems.Count - shown} more" : "";
            throw new ModelLoadException($"{problems.Count} tensors do not match {config.Path} (the weights do not belong to this config):\n  " + string.Join("\n  ", problems.Take(shown)) + more);
        }
    }
}
