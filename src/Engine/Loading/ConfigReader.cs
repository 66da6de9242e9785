using System.Text.Json;

namespace InferMesh.Engine.Loading;

/// <summary>Typed reads of config.json fields, each failure naming the file and the field.</summary>
internal sealed class ConfigReader(string path, JsonElement root)
{
    public string Path { get; } = path;

    public JsonElement Root { get; } = root;

    public bool Has(string name) => Root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public int RequiredInt(string name) =>
        Has(name) ? Int(Root.GetProperty(name), name) : throw Missing(name);

    public int? OptionalInt(string name) => Has(name) ? Int(Root.GetProperty(name), name) : null;

    public double? OptionalDouble(string name) => Has(name) ? Double(Root.GetProperty(name), name) : null;

    public bool? OptionalBool(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = Root.GetProperty(name);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "true or false", v),
        };
    }

    public string? OptionalString(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = Root.GetProperty(name);
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw WrongType(name, "a string", v);
    }

    /// <summary>A list of strings (layer_types), or null when absent.</summary>
    public IReadOnlyList<string>? OptionalStringList(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = Root.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(name, "a list of strings", v);
        }

        return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw WrongType(name, "a list of strings", e)).ToArray();
    }

    /// <summary>An int, a list of ints, or null (eos_token_id has all three forms).</summary>
    public IReadOnlyList<int> IntOrList(string name)
    {
        if (!Has(name))
        {
            return [];
        }

        var v = Root.GetProperty(name);
        return v.ValueKind switch
        {
            JsonValueKind.Number => [Int(v, name)],
            JsonValueKind.Array => v.EnumerateArray().Select(e => Int(e, name)).ToArray(),
            _ => throw WrongType(name, "an integer or a list of integers", v),
        };
    }

    public ModelLoadException Missing(string name) =>
        new($"{Path}: required field '{name}' is missing; a Hugging Face config.json of a llama/qwen2/mistral model has it.");

    public ModelLoadException WrongType(string name, string expected, JsonElement got) =>
        new($"{Path}: field '{name}' must be {expected}, not {got.ValueKind} ({Truncate(got.GetRawText())}).");

    public ModelLoadException Invalid(string name, string why) => new($"{Path}: field '{name}' {why}.");

    public int Int(JsonElement v, string name)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) && l is >= int.MinValue and <= int.MaxValue)
        {
            return (int)l;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue)
        {
            return (int)d;
        }

        throw WrongType(name, "an integer", v);
    }

    public double Double(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw WrongType(name, "a number", v);

    private static string Truncate(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
