using System.Text.Json;

namespace InferMesh.Engine.Loading;

/// <summary>
/// Reads rotary parameters from either config.json form: transformers 5's <c>rope_parameters</c> object, or the older
/// top-level <c>rope_theta</c> plus an optional <c>rope_scaling</c> object (whose kind is <c>rope_type</c> or <c>type</c>).
/// Defaults and required keys follow transformers' RotaryEmbeddingConfigMixin (standardize_rope_params, validate_rope):
/// https://github.com/huggingface/transformers/blob/main/src/transformers/modeling_rope_utils.py
/// </summary>
internal static class RopeConfigReader
{
    private static readonly string[] Supported = ["default", "linear", "dynamic", "llama3", "yarn", "longrope"];

    public static RopeScaling Read(ConfigReader r, int maxPositionEmbeddings, string? modelType = null, double defaultTheta = 10_000)
    {
        // transformers: `rope_parameters = rope_scaling or rope_parameters`, so a non-empty rope_scaling wins.
        var field = r.Has("rope_scaling") && (r.Root.GetProperty("rope_scaling").ValueKind != JsonValueKind.Object || r.Root.GetProperty("rope_scaling").EnumerateObject().Any())
            ? "rope_scaling"
            : "rope_parameters";
        var parameters = r.Has(field) ? r.Root.GetProperty(field) : (JsonElement?)null;
        var topTheta = r.OptionalDouble("rope_theta");
        var topPartial = r.OptionalDouble("partial_rotary_factor");
        if (parameters is not { } p)
        {
            return new RopeScaling { Theta = topTheta ?? defaultTheta, PartialRotaryFactor = topPartial ?? 1 };
        }

        if (p.ValueKind != JsonValueKind.Object)
        {
            throw r.WrongType(field, "an object", p);
        }

        foreach (var entry in p.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.Object)
            {
                throw r.Invalid($"{field}.{entry.Name}", "holds rotary parameters per layer type, which the Llama family does not use; give one flat object (rope_type, rope_theta, ...)");
            }
        }

        double? Num(string name)
        {
            if (!p.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw r.WrongType($"{field}.{name}", "a number", v);
        }

        string? Text(string name)
        {
            if (!p.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return v.ValueKind == JsonValueKind.String ? v.GetString() : throw r.WrongType($"{field}.{name}", "a string", v);
        }

        double Required(string name, string type) =>
            Num(name) ?? throw r.Invalid($"{field}.{name}", $"is required for rope type '{type}' (transformers rejects the config without it)");

        var type = Text("rope_type") ?? Text("type") ?? "default";

        // transformers' Phi3Config._rope_scaling_adjustment: phi3 configs naming "su" or "yarn" mean longrope.
        if (modelType == "phi3" && type is "su" or "yarn")
        {
            type = "longrope";
        }

        if (!Supported.Contains(type))
        {
            throw r.Invalid($"{field}.rope_type", $"is '{type}', which InferMesh does not implement; supported: {string.Join(", ", Supported)}");
        }

        // transformers moves a top-level original_max_position_embeddings into the rope parameters (it wins, for
        // Phi3-style configs) and otherwise defaults it to max_position_embeddings for the types that use it.
        var original = r.OptionalInt("original_max_position_embeddings") ?? (Num("original_max_position_embeddings") is { } o ? checked((int)o) : maxPositionEmbeddings);
        if (original <= 0)
        {
            throw r.Invalid($"{field}.original_max_position_embeddings", $"must be positive (got {original})");
        }

        var factor = type switch
        {
            "default" => Num("factor") ?? 1,
            "yarn" => Num("factor") ?? ((double)maxPositionEmbeddings / original),

            // Phi-3 configs give no factor: transformers uses max_position_embeddings / original_max_position_embeddings.
            "longrope" => Num("factor") ?? ((double)maxPositionEmbeddings / original),
            _ => Required("factor", type),
        };
        if (factor <= 0)
        {
            throw r.Invalid($"{field}.factor", $"must be positive for rope type '{type}' (got {factor})");
        }

        var low = type == "llama3" ? Required("low_freq_factor", type) : Num("low_freq_factor") ?? 1;
        var high = type == "llama3" ? Required("high_freq_factor", type) : Num("high_freq_factor") ?? 4;
        if (type == "llama3" && (low <= 0 || high <= low))
        {
            throw r.Invalid($"{field}.high_freq_factor", $"({high}) must exceed low_freq_factor ({low}), both positive, for rope type 'llama3'");
        }

        IReadOnlyList<double> Factors(string name)
        {
            if (type != "longrope")
            {
                return [];
            }

            if (!p.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array)
            {
                throw r.Invalid($"{field}.{name}", "is required for rope type 'longrope' as a list of numbers, one per rotary frequency");
            }

            var list = new List<double>();
            foreach (var item in v.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !double.IsFinite(item.GetDouble()) || item.GetDouble() <= 0)
                {
                    throw r.Invalid($"{field}.{name}", "must hold positive finite numbers only");
                }

                list.Add(item.GetDouble());
            }

            return list;
        }

        var shortFactor = Factors("short_factor");
        var longFactor = Factors("long_factor");
        bool truncate = true;
        if (p.TryGetProperty("truncate", out var tr) && tr.ValueKind != JsonValueKind.Null)
        {
            truncate = tr.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw r.WrongType($"{field}.truncate", "true or false", tr),
            };
        }

        return new RopeScaling
        {
            Type = type,
            Theta = Num("rope_theta") ?? topTheta ?? defaultTheta,
            Factor = factor,
            LowFreqFactor = low,
            HighFreqFactor = high,
            OriginalMaxPositionEmbeddings = original,

            // transformers reads these with `or`, so 0 means the default just like an absent key.
            BetaFast = Num("beta_fast") is { } fast and not 0 ? fast : 32,
            BetaSlow = Num("beta_slow") is { } slow and not 0 ? slow : 1,
            MScale = Num("mscale"),
            MScaleAllDim = Num("mscale_all_dim"),
            AttentionFactor = Num("attention_factor"),
            Truncate = truncate,
            PartialRotaryFactor = Num("partial_rotary_factor") ?? topPartial ?? 1,
            ShortFactor = shortFactor,
            LongFactor = longFactor,
        };
    }
}
