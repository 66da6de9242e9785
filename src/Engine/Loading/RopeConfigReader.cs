using System.Text.Json;

namespace InferMesh.Engine.Loading;

/// <summary>
/// Reads rotary parameters from either config.json form: transformers 5's <c>rope_parameters</c> object, or the older
/// top-level <c>rope_theta</c> plus an optional <c>rope_scaling</c> object (whose kind is <c>rope_type</c> or <c>type</c>).
/// </summary>
internal static class RopeConfigReader
{
    private static readonly string[] Supported = ["default", "linear", "dynamic", "llama3", "yarn"];

    public static RopeScaling Read(ConfigReader r)
    {
        JsonElement? parameters = null;
        var field = "rope_scaling";
        if (r.Has("rope_parameters"))
        {
            parameters = r.Root.GetProperty("rope_parameters");
            field = "rope_parameters";
        }
        else if (r.Has("rope_scaling"))
        {
            parameters = r.Root.GetProperty("rope_scaling");
        }

        var theta = r.OptionalDouble("rope_theta");
        var partial = r.OptionalDouble("partial_rotary_factor") ?? 1;
        if (parameters is not { } p)
        {
            return new RopeScaling { Theta = theta ?? 10000, PartialRotaryFactor = partial };
        }

        if (p.ValueKind != JsonValueKind.Object)
        {
            throw r.WrongType(field, "an object", p);
        }

        double? Num(string name) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : p.TryGetProperty(name, out var bad) && bad.ValueKind != JsonValueKind.Null ? throw r.WrongType($"{field}.{name}", "a number", bad) : null;

        var type = (p.TryGetProperty("rope_type", out var t) ? t.GetString() : p.TryGetProperty("type", out var t2) ? t2.GetString() : null) ?? "default";
        if (!Supported.Contains(type))
        {
            throw r.Invalid($"{field}.rope_type", $"is '{type}', which InferMesh does not implement; supported: {string.Join(", ", Supported)}");
        }

        var rope = new RopeScaling
        {
            Type = type,
            Theta = Num("rope_theta") ?? theta ?? 10000,
            Factor = Num("factor") ?? 1,
            LowFreqFactor = Num("low_freq_factor") ?? 1,
            HighFreqFactor = Num("high_freq_factor") ?? 4,
            OriginalMaxPositionEmbeddings = Num("original_max_position_embeddings") is { } o ? (int)o : null,
            BetaFast = Num("beta_fast") ?? 32,
            BetaSlow = Num("beta_slow") ?? 1,
            MScale = Num("mscale"),
            MScaleAllDim = Num("mscale_all_dim"),
            AttentionFactor = Num("attention_factor"),
            Truncate = !p.TryGetProperty("truncate", out var tr) || tr.ValueKind != JsonValueKind.False,
            PartialRotaryFactor = Num("partial_rotary_factor") ?? partial,
        };
        if (type != "default" && rope.Factor <= 0)
        {
            throw r.Invalid($"{field}.factor", $"must be positive for rope type {type} (got {rope.Factor})");
        }

        return rope;
    }
}
