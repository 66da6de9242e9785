using System.Globalization;
using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>
/// Test-side JSON Schema tools written from the spec, independent of the engine's compiler and cursor: a recursive
/// validator for the subset the engine supports, and a generator of random valid documents (random property order,
/// optional properties sometimes left out, random whitespace, strings with escapes and non-ASCII text).
/// </summary>
internal sealed class SchemaInstances(JsonElement root)
{
    private static readonly string[] Strings = ["", "a", "hello world", "Zoë", "quote \" and \\ slash", "line\nbreak", "世界 😀", "tab\tx"];

    public static SchemaInstances Parse(string schema) => new(JsonDocument.Parse(schema).RootElement.Clone());

    public bool Validate(string json) => Validate(JsonDocument.Parse(json).RootElement, root);

    public string Generate(Random random)
    {
        var text = new StringBuilder();
        Write(text, root, random, 0);
        return text.ToString();
    }

    private JsonElement Resolve(JsonElement schema)
    {
        while (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference))
        {
            var parts = reference.GetString()!.Split('/');
            schema = root.GetProperty(parts[1]).GetProperty(parts[2]);
        }

        return schema;
    }

    private bool Validate(JsonElement value, JsonElement schema)
    {
        schema = Resolve(schema);
        if (schema.ValueKind == JsonValueKind.True)
        {
            return true;
        }

        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            return anyOf.EnumerateArray().Any(branch => Validate(value, branch));
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(value, constant))
        {
            return false;
        }

        if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => JsonElement.DeepEquals(value, v)))
        {
            return false;
        }

        if (schema.TryGetProperty("type", out var type) && !TypeNames(type).Any(t => HasType(value, t)))
        {
            return false;
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            var names = value.EnumerateObject().Select(p => p.Name).ToList();
            if (names.Distinct().Count() != names.Count)
            {
                return false;
            }

            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            if (schema.TryGetProperty("required", out var required) && required.EnumerateArray().Any(r => !names.Contains(r.GetString()!)))
            {
                return false;
            }

            foreach (var property in value.EnumerateObject())
            {
                var sub = default(JsonElement);
                var listed = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out sub);
                var extra = schema.TryGetProperty("additionalProperties", out var additional) ? additional : default;
                if (listed ? !Validate(property.Value, sub) : extra.ValueKind == JsonValueKind.False || (extra.ValueKind == JsonValueKind.Object && !Validate(property.Value, extra)))
                {
                    return false;
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array)
        {
            var count = value.GetArrayLength();
            if ((schema.TryGetProperty("minItems", out var min) && count < min.GetInt32()) || (schema.TryGetProperty("maxItems", out var max) && count > max.GetInt32()))
            {
                return false;
            }

            if (schema.TryGetProperty("items", out var items) && value.EnumerateArray().Any(item => !Validate(item, items)))
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<string> TypeNames(JsonElement type) =>
        type.ValueKind == JsonValueKind.String ? [type.GetString()!] : type.EnumerateArray().Select(t => t.GetString()!);

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && decimal.TryParse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    private void Write(StringBuilder text, JsonElement schema, Random random, int depth)
    {
        schema = Resolve(schema);
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            Write(text, anyOf[random.Next(anyOf.GetArrayLength())], random, depth);
            return;
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            text.Append(constant.GetRawText());
            return;
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            var value = values[random.Next(values.GetArrayLength())];
            text.Append(value.ValueKind == JsonValueKind.String ? Quote(value.GetString()!) : value.GetRawText());
            return;
        }

        var types = schema.TryGetProperty("type", out var t) ? TypeNames(t).ToArray() : ["string", "integer", "null", "boolean"];
        var type = depth > 6 ? types.FirstOrDefault(x => x is not ("object" or "array")) ?? types[0] : types[random.Next(types.Length)];
        switch (type)
        {
            case "object":
                WriteObject(text, schema, random, depth);
                break;
            case "array":
                var min = schema.TryGetProperty("minItems", out var lo) ? lo.GetInt32() : 0;
                var max = schema.TryGetProperty("maxItems", out var hi) ? hi.GetInt32() : min + 3;
                var count = depth > 4 ? min : random.Next(min, Math.Min(max, min + 3) + 1);
                var items = schema.TryGetProperty("items", out var i) ? i : default;
                text.Append('[');
                for (var k = 0; k < count; k++)
                {
                    text.Append(k == 0 ? Space(random) : "," + Space(random));
                    if (items.ValueKind == JsonValueKind.Undefined)
                    {
                        text.Append(random.Next(100));
                    }
                    else
                    {
                        Write(text, items, random, depth + 1);
                    }
                }

                text.Append(Space(random)).Append(']');
                break;
            case "string":
                var s = Strings[random.Next(Strings.Length)];
                text.Append(random.Next(2) == 0 ? Quote(s) : JsonSerializer.Serialize(s));
                break;
            case "integer":
                text.Append(random.Next(-1000, 100000).ToString(CultureInfo.InvariantCulture));
                break;
            case "number":
                text.Append(random.Next(4) switch { 0 => "0", 1 => "-12.5", 2 => "3.25e-2", _ => "1E+3" });
                break;
            case "boolean":
                text.Append(random.Next(2) == 0 ? "true" : "false");
                break;
            default:
                text.Append("null");
                break;
        }
    }

    private void WriteObject(StringBuilder text, JsonElement schema, Random random, int depth)
    {
        var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToHashSet() : [];
        var properties = schema.TryGetProperty("properties", out var p) ? p.EnumerateObject().ToList() : [];
        var chosen = properties.Where(x => required.Contains(x.Name) || random.Next(2) == 0).OrderBy(_ => random.Next()).ToList();
        text.Append('{');
        for (var k = 0; k < chosen.Count; k++)
        {
            text.Append(k == 0 ? Space(random) : "," + Space(random)).Append(Quote(chosen[k].Name)).Append(Space(random)).Append(':').Append(Space(random));
            Write(text, chosen[k].Value, random, depth + 1);
        }

        text.Append(Space(random)).Append('}');
    }

    private static string Space(Random random) => random.Next(4) switch { 0 => " ", 1 => "\n  ", _ => "" };

    /// <summary>The canonical spelling: only the quote, the backslash and control characters escaped.</summary>
    private static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";
}
