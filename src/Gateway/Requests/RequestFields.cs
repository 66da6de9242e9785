using System.Text.Json;
using InferMesh.Gateway.Errors;

namespace InferMesh.Gateway.Requests;

/// <summary>
/// Typed, range-checked access to the fields of a JSON request object, with OpenAI's error messages. A field that is
/// absent or null reads as null. Every field read is remembered so <see cref="RejectUnknown"/> can name the rest.
/// </summary>
public sealed class RequestFields(JsonElement root)
{
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public JsonElement? Raw(string name)
    {
        _known.Add(name);
        return root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    public string? String(string name, int maxLength = int.MaxValue)
    {
        if (Raw(name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            throw new ApiErrorException(ApiError.InvalidType(name, "a string", v.ValueKind));
        }

        var s = ReadString(v, name);
        return s.Length <= maxLength ? s : throw new ApiErrorException(ApiError.Invalid($"Invalid '{name}': string too long. Expected a string with maximum length {maxLength}, but got a string with length {s.Length} instead.", name, "string_above_max_length"));
    }

    public string RequiredString(string name, int maxLength = int.MaxValue) =>
        String(name, maxLength) is { } s ? s : throw new ApiErrorException(ApiError.Missing(name));

    public bool? Bool(string name)
    {
        if (Raw(name) is not { } v)
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ApiErrorException(ApiError.InvalidType(name, "a boolean", v.ValueKind)),
        };
    }

    public double? Number(string name, double min, double max)
    {
        if (Raw(name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
        {
            throw new ApiErrorException(ApiError.InvalidType(name, "a decimal", v.ValueKind));
        }

        return d < min ? throw new ApiErrorException(ApiError.Invalid($"Invalid '{name}': decimal below minimum value. Expected a value >= {min}, but got {d} instead.", name, "decimal_below_min_value"))
            : d > max ? throw new ApiErrorException(ApiError.Invalid($"Invalid '{name}': decimal above maximum value. Expected a value <= {max}, but got {d} instead.", name, "decimal_above_max_value"))
            : d;
    }

    public long? Integer(string name, long min, long max)
    {
        if (Raw(name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number)
        {
            throw new ApiErrorException(ApiError.InvalidType(name, "an integer", v.ValueKind));
        }

        if (!v.TryGetInt64(out var n))
        {
            var isIntegral = v.TryGetDouble(out var d) && double.IsFinite(d) && Math.Floor(d) == d;
            throw new ApiErrorException(isIntegral
                ? ApiError.Invalid($"Invalid '{name}': integer out of range. Expected a value between {min} and {max}.", name, "integer_out_of_range")
                : ApiError.InvalidType(name, "an integer", JsonValueKind.Number));
        }

        return n < min ? throw new ApiErrorException(ApiError.Invalid($"Invalid '{name}': integer below minimum value. Expected a value >= {min}, but got {n} instead.", name, "integer_below_min_value"))
            : n > max ? throw new ApiErrorException(ApiError.Invalid($"Invalid '{name}': integer above maximum value. Expected a value <= {max}, but got {n} instead.", name, "integer_above_max_value"))
            : n;
    }

    /// <summary>The string value of a JSON string element; a lone surrogate escape is a 400 naming <paramref name="param"/>.</summary>
    public static string ReadString(JsonElement value, string param)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid '{param}': the string is not valid Unicode (lone surrogate escape).", param, "invalid_unicode"));
        }
    }

    /// <summary>Rejects fields nobody read, as OpenAI does, except those that are null or listed as harmless.</summary>
    public void RejectUnknown(params string[] ignored)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!_known.Contains(property.Name) && Array.IndexOf(ignored, property.Name) < 0 && property.Value.ValueKind != JsonValueKind.Null)
            {
                throw new ApiErrorException(ApiError.Invalid($"Unrecognized request argument supplied: {Printable(property.Name)}", property.Name, "unknown_parameter"));
            }
        }
    }

    private static string Printable(string name) => name.Length <= 64 && !name.Any(char.IsControl) ? name : $"{string.Concat(name.Take(64).Where(c => !char.IsControl(c)))}...";
}
