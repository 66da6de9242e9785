namespace InferMesh.Engine.Loading;

/// <summary>
/// IBM Granite's four scalars on top of a Llama (transformers' modeling_granite.py): embeddings × embedding_multiplier,
/// attention scores × attention_multiplier (instead of 1/√head_dim), each sublayer's output × residual_multiplier
/// before it joins the residual, logits ÷ logits_scaling. GraniteConfig defaults every one of them to 1.
/// </summary>
internal static class GraniteMultipliers
{
    public static ModelConfig Complete(ConfigReader r, ModelConfig config)
    {
        if (config.ModelType != "granite")
        {
            return config;
        }

        float? Scalar(string name)
        {
            var value = r.OptionalDouble(name) ?? 1;
            if (!double.IsFinite(value) || value <= 0)
            {
                throw r.Invalid(name, $"must be a positive finite number (got {value})");
            }

            return value == 1 ? null : (float)value;
        }

        return config with
        {
            EmbeddingScale = Scalar("embedding_multiplier"),
            AttentionScale = Scalar("attention_multiplier") ?? 1f, // 1.0 here means 1.0, not 1/√head_dim
            ResidualMultiplier = Scalar("residual_multiplier"),
            LogitsDivisor = Scalar("logits_scaling"),
        };
    }
}
