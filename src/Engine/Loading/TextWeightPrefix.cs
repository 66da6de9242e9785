namespace InferMesh.Engine.Loading;

/// <summary>
/// Where a checkpoint keeps its text model's tensors: "model." for causal LMs; Gemma 3's multimodal checkpoints
/// (Gemma3ForConditionalGeneration) nest it as "language_model.model." (transformers 4.x) or "model.language_model."
/// (after transformers' 2025 refactor of vision-language models), beside vision tensors InferMesh ignores.
/// </summary>
public static class TextWeightPrefix
{
    /// <summary>The first of the config's prefixes whose embed_tokens.weight the store holds, else the first prefix.</summary>
    public static string Resolve(ModelConfig config, WeightStore store)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(store);
        foreach (var prefix in config.WeightPrefixes)
        {
            if (store.Contains(prefix + "embed_tokens.weight"))
            {
                return prefix;
            }
        }

        return config.WeightPrefixes[0];
    }
}
