namespace InferMesh.Engine.Loading;

/// <summary>
/// Which layers apply rotary embeddings, for models that leave some out (SmolLM3's NoPE layers). transformers'
/// SmolLM3Config: <c>no_rope_layers[i]</c> is 1 when layer i uses RoPE and 0 when it does not (the name is inverted),
/// defaulting to RoPE everywhere except every <c>no_rope_layer_interval</c>-th layer (4); with
/// <c>use_sliding_window</c>, only the NoPE layers slide.
/// </summary>
internal static class RopeLayerPattern
{
    /// <summary>Per layer, whether it rotates; null when every layer does (every other model type).</summary>
    public static IReadOnlyList<bool>? Read(ConfigReader r, string type, int layers)
    {
        if (type != "smollm3")
        {
            return null;
        }

        if (r.Has("no_rope_layers") && r.Root.GetProperty("no_rope_layers").ValueKind != System.Text.Json.JsonValueKind.Null)
        {
            var flags = r.IntOrList("no_rope_layers");
            if (flags.Count != layers || flags.Any(f => f is not (0 or 1)))
            {
                throw r.Invalid("no_rope_layers", $"must list 0 or 1 for each of the {layers} layers (1 = the layer uses RoPE)");
            }

            return flags.Select(f => f == 1).ToArray();
        }

        var interval = r.OptionalInt("no_rope_layer_interval") ?? 4;
        if (interval < 1)
        {
            throw r.Invalid("no_rope_layer_interval", $"must be positive (got {interval})");
        }

        return Enumerable.Range(0, layers).Select(i => (i + 1) % interval != 0).ToArray();
    }

    /// <summary>SmolLM3's default layer_types: the NoPE layers slide when use_sliding_window and sliding_window are set.</summary>
    public static IReadOnlyList<string>? DefaultLayerTypes(ConfigReader r, IReadOnlyList<bool>? ropeLayers)
    {
        if (ropeLayers is null || r.OptionalBool("use_sliding_window") != true || r.OptionalInt("sliding_window") is null)
        {
            return null;
        }

        return ropeLayers.Select(rope => rope ? "full_attention" : "sliding_attention").ToArray();
    }
}
