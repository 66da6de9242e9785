using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// Turns a JSON Schema document into <see cref="JsonSchemaNode"/>s, refusing what the cursor would not enforce. The
/// subset is the one OpenAI's Structured Outputs strict mode documents (type, properties, required,
/// additionalProperties, items, enum, const, anyOf, $ref into $defs/definitions) plus minItems/maxItems. Keywords that
/// would constrain values further (pattern, format, minimum, minLength, oneOf, allOf, ...) are collected and refused
/// together, since silently dropping them would let through output the client's schema forbids.
/// </summary>
internal sealed class JsonSchemaCompiler
{
    public const int MaxNodes = 4096;
    public const int MaxEnumValues = 1024;
    public const int MaxNesting = 32;

    private static readonly HashSet<string> Annotations =
        ["title", "description", "default", "examples", "$schema", "$id", "$comment", "strict", "$defs", "definitions"];

    /// <summary>
    /// Keywords that only narrow which values are valid (never which shape a value has): ignored in lenient mode, as a
    /// function tool's parameters schema describes arguments rather than forbids them.
    /// </summary>
    private static readonly HashSet<string> ValidationOnly =
        ["format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
         "minProperties", "maxProperties", "uniqueItems", "contentEncoding", "contentMediaType", "deprecated", "readOnly", "writeOnly"];

    private static readonly HashSet<string> Keywords =
        ["type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const", "anyOf", "$ref"];

    private readonly JsonElement _root;
    private readonly bool _strict;
    private readonly bool _lenient;
    private readonly List<JsonSchemaNode> _nodes = [new JsonSchemaNode()];
    private readonly Dictionary<string, int> _refs = new(StringComparer.Ordinal);
    private readonly List<string> _unsupported = [];

    private JsonSchemaCompiler(JsonElement root, bool strict, bool lenient)
    {
        _root = root;
        _strict = strict;
        _lenient = lenient;
    }

    public static (JsonSchemaNode[] Nodes, int Root) Compile(JsonElement schema, bool strict, bool lenient = false)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw Refuse($"the schema must be a JSON object, not {schema.ValueKind.ToString().ToLowerInvariant()}.");
        }

        var compiler = new JsonSchemaCompiler(schema, strict, lenient);
        var root = compiler.Node(schema, "#", 0);
        if (compiler._unsupported.Count > 0)
        {
            var listed = string.Join(", ", compiler._unsupported.Take(20)) + (compiler._unsupported.Count > 20 ? $" and {compiler._unsupported.Count - 20} more" : "");
            throw Refuse(
                $"the schema uses keywords this server does not enforce while decoding: {listed}. Supported: type, properties, required, "
                + "additionalProperties, items, minItems, maxItems, enum, const, anyOf, $ref (to #/$defs/... or #/definitions/...); "
                + "title, description, default, examples, $schema, $id and $comment are ignored. Remove the others (describe them in the prompt instead).");
        }

        return (compiler.Resolve(ref root), root);
    }

    public static ArgumentException Refuse(string message) =>
        new($"Invalid 'response_format.json_schema.schema': {message}", CompiledJsonSchema.Param);

    private int Node(JsonElement schema, string path, int nesting)
    {
        if (nesting > MaxNesting)
        {
            throw Refuse($"{path} nests schemas more than {MaxNesting} deep.");
        }

        if (schema.ValueKind == JsonValueKind.True)
        {
            return JsonSchemaNode.AnyIndex;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw Refuse($"{path} must be a schema (an object, or true), not {Describe(schema)}.");
        }

        var keywords = new List<string>();
        foreach (var property in schema.EnumerateObject())
        {
            if (Keywords.Contains(property.Name))
            {
                keywords.Add(property.Name);
            }
            else if (!Annotations.Contains(property.Name) && !(_lenient && ValidationOnly.Contains(property.Name)))
            {
                _unsupported.Add($"'{property.Name}' at {path}");
            }
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            OnlyKeyword(keywords, "$ref", path);
            return Ref(reference, path, nesting);
        }

        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            OnlyKeyword(keywords, "anyOf", path);
            if (anyOf.ValueKind != JsonValueKind.Array || anyOf.GetArrayLength() == 0)
            {
                throw Refuse($"{path}/anyOf must be a non-empty array of schemas.");
            }

            var union = Add(new JsonSchemaNode());
            var branches = anyOf.EnumerateArray().Select((branch, i) => Node(branch, $"{path}/anyOf/{i}", nesting + 1)).ToArray();
            _nodes[union].Branches = branches;
            return union;
        }

        var node = new JsonSchemaNode { Types = ReadTypes(schema, path, keywords) };
        var index = Add(node);
        if (schema.TryGetProperty("enum", out var values) | schema.TryGetProperty("const", out var constant))
        {
            node.Enum = ReadEnum(schema, values, constant, node.Types, path);
        }

        if ((node.Types & JsonTypes.Object) != 0)
        {
            ReadObject(schema, node, path, nesting, explicitlyObject: keywords.Exists(k => k is "type" or "properties" or "required" or "additionalProperties"));
        }

        if ((node.Types & JsonTypes.Array) != 0)
        {
            ReadArray(schema, node, path, nesting);
        }

        return index;
    }

    private static JsonTypes ReadTypes(JsonElement schema, string path, List<string> keywords)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            // No type: JSON Schema allows any value. The object or array keywords alone describe one kind, so the
            // cursor keeps to it (a narrower but still valid set of documents).
            var objectish = keywords.Exists(k => k is "properties" or "required" or "additionalProperties");
            var arrayish = keywords.Exists(k => k is "items" or "minItems" or "maxItems");
            return objectish || arrayish ? (objectish ? JsonTypes.Object : 0) | (arrayish ? JsonTypes.Array : 0) : JsonTypes.All;
        }

        var names = type.ValueKind switch
        {
            JsonValueKind.String => [type.GetString()!],
            JsonValueKind.Array when type.GetArrayLength() > 0 && type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String) =>
                type.EnumerateArray().Select(t => t.GetString()!).ToArray(),
            _ => throw Refuse($"{path}/type must be a type name or a non-empty array of them, not {Describe(type)}."),
        };
        var types = JsonTypes.None;
        foreach (var name in names)
        {
            types |= name switch
            {
                "object" => JsonTypes.Object,
                "array" => JsonTypes.Array,
                "string" => JsonTypes.String,
                "number" => JsonTypes.Number | JsonTypes.Integer,
                "integer" => JsonTypes.Integer,
                "boolean" => JsonTypes.Boolean,
                "null" => JsonTypes.Null,
                _ => throw Refuse($"{path}/type names '{name}'; the JSON Schema types are object, array, string, number, integer, boolean and null."),
            };
        }

        return types;
    }

    private static byte[][] ReadEnum(JsonElement schema, JsonElement values, JsonElement constant, JsonTypes types, string path)
    {
        JsonElement[] all;
        if (schema.TryGetProperty("const", out _))
        {
            if (schema.TryGetProperty("enum", out _))
            {
                throw Refuse($"{path} has both enum and const; use one.");
            }

            all = [constant];
        }
        else if (values.ValueKind == JsonValueKind.Array && values.GetArrayLength() is > 0 and <= MaxEnumValues)
        {
            all = [.. values.EnumerateArray()];
        }
        else
        {
            throw Refuse($"{path}/enum must be an array of 1 to {MaxEnumValues} values.");
        }

        var texts = new List<byte[]>();
        foreach (var value in all)
        {
            var kind = value.ValueKind switch
            {
                JsonValueKind.String => JsonTypes.String,
                JsonValueKind.Number => IsInteger(value) ? JsonTypes.Integer : JsonTypes.Number,
                JsonValueKind.True or JsonValueKind.False => JsonTypes.Boolean,
                JsonValueKind.Null => JsonTypes.Null,
                _ => throw Refuse($"{path}: enum and const values must be strings, numbers, booleans or null; {Describe(value)} is not supported."),
            };
            if ((kind & types) != 0)
            {
                texts.Add(value.ValueKind == JsonValueKind.String ? [(byte)'"', .. JsonSchemaText.KeyBytes(value.GetString()!)] : Encoding.UTF8.GetBytes(value.GetRawText()));
            }
        }

        if (texts.Count == 0)
        {
            throw Refuse($"{path}: no enum/const value has the schema's type, so no document could match.");
        }

        texts.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return [.. texts.Distinct(JsonSchemaText.SameBytes)];
    }

    private void ReadObject(JsonElement schema, JsonSchemaNode node, string path, int nesting, bool explicitlyObject)
    {
        var properties = new List<(byte[] Key, string Name, int Node)>();
        if (schema.TryGetProperty("properties", out var listed))
        {
            if (listed.ValueKind != JsonValueKind.Object)
            {
                throw Refuse($"{path}/properties must be an object of schemas, not {Describe(listed)}.");
            }

            foreach (var property in listed.EnumerateObject())
            {
                properties.Add((JsonSchemaText.KeyBytes(property.Name), property.Name, Node(property.Value, $"{path}/properties/{property.Name}", nesting + 1)));
            }
        }

        // Strict mode (OpenAI's) means additionalProperties: false; a schema that does not say otherwise gets no extra keys.
        node.Additional = schema.TryGetProperty("additionalProperties", out var additional)
            ? additional.ValueKind == JsonValueKind.False ? JsonSchemaNode.NoNode : Node(additional, $"{path}/additionalProperties", nesting + 1)
            : _strict && explicitlyObject ? JsonSchemaNode.NoNode : JsonSchemaNode.AnyIndex;

        var required = new List<string>();
        if (schema.TryGetProperty("required", out var names))
        {
            if (names.ValueKind != JsonValueKind.Array || names.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String))
            {
                throw Refuse($"{path}/required must be an array of property names.");
            }

            required = [.. names.EnumerateArray().Select(n => n.GetString()!).Distinct(StringComparer.Ordinal)];
            foreach (var name in required.Where(r => !properties.Exists(p => p.Name == r)))
            {
                if (node.Additional == JsonSchemaNode.NoNode)
                {
                    throw Refuse($"{path}/required names '{name}', which is not in properties while additional properties are not allowed; no document could match.");
                }

                properties.Add((JsonSchemaText.KeyBytes(name), name, node.Additional));
            }
        }

        if (properties.Count > JsonSchemaNode.MaxProperties)
        {
            throw Refuse($"{path} has {properties.Count} properties; at most {JsonSchemaNode.MaxProperties} per object are supported.");
        }

        properties.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        node.Keys = [.. properties.Select(p => p.Key)];
        node.KeyNodes = [.. properties.Select(p => p.Node)];
        for (var i = 0; i < properties.Count; i++)
        {
            if (required.Contains(properties[i].Name))
            {
                node.Required |= 1UL << i;
            }
        }
    }

    private void ReadArray(JsonElement schema, JsonSchemaNode node, string path, int nesting)
    {
        if (schema.TryGetProperty("items", out var items))
        {
            if (items.ValueKind == JsonValueKind.Array)
            {
                throw Refuse($"{path}/items is an array (tuple validation), which is not supported; give one schema for every item.");
            }

            node.Items = Node(items, $"{path}/items", nesting + 1);
        }

        node.MinItems = Count(schema, "minItems", path) ?? 0;
        node.MaxItems = Count(schema, "maxItems", path) ?? int.MaxValue;
        if (node.MinItems > node.MaxItems)
        {
            throw Refuse($"{path} has minItems {node.MinItems} above maxItems {node.MaxItems}; no array could match.");
        }
    }

    private int Ref(JsonElement reference, string path, int nesting)
    {
        var target = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : "";
        string? section = target.StartsWith("#/$defs/", StringComparison.Ordinal) ? "$defs"
            : target.StartsWith("#/definitions/", StringComparison.Ordinal) ? "definitions" : null;
        var name = section is null ? "" : target[(section.Length + 3)..].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
        if (section is null || !_root.TryGetProperty(section, out var definitions) || definitions.ValueKind != JsonValueKind.Object
            || !definitions.TryGetProperty(name, out var definition))
        {
            throw Refuse($"{path}/$ref '{target}' does not point to a schema of this document's $defs or definitions (only local references #/$defs/name are supported).");
        }

        if (_refs.TryGetValue(target, out var known))
        {
            return known;
        }

        // Reserve the node first, so a definition that refers to itself (a tree) gets this index back.
        var alias = Add(new JsonSchemaNode());
        _refs[target] = alias;
        _nodes[alias].AliasOf = Node(definition, target, nesting + 1);
        return alias;
    }

    private JsonSchemaNode[] Resolve(ref int root)
    {
        var final = new int[_nodes.Count];
        for (var i = 0; i < final.Length; i++)
        {
            var at = i;
            for (var hops = 0; _nodes[at].AliasOf != JsonSchemaNode.NoNode; hops++)
            {
                if (hops == _nodes.Count)
                {
                    throw Refuse("$ref definitions refer to each other in a cycle that never reaches a schema.");
                }

                at = _nodes[at].AliasOf;
            }

            final[i] = at;
        }

        foreach (var node in _nodes)
        {
            node.KeyNodes = [.. node.KeyNodes.Select(n => final[n])];
            node.Branches = node.Branches?.Select(n => final[n]).ToArray();
            node.Additional = node.Additional == JsonSchemaNode.NoNode ? node.Additional : final[node.Additional];
            node.Items = final[node.Items];
        }

        root = final[root];
        FinishableSchema.Check(_nodes, root);
        return [.. _nodes];
    }

    private int Add(JsonSchemaNode node)
    {
        if (_nodes.Count == MaxNodes)
        {
            throw Refuse($"the schema has more than {MaxNodes} subschemas.");
        }

        _nodes.Add(node);
        return _nodes.Count - 1;
    }

    private static int? Count(JsonElement schema, string keyword, string path) =>
        !schema.TryGetProperty(keyword, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var count) && count >= 0 ? count
        : throw Refuse($"{path}/{keyword} must be a non-negative integer, not {Describe(value)}.");

    private static void OnlyKeyword(List<string> keywords, string keyword, string path)
    {
        if (keywords.Count > 1)
        {
            throw Refuse($"{path} combines {keyword} with {string.Join(", ", keywords.Where(k => k != keyword))}; put those inside the {keyword} target instead.");
        }
    }

    private static bool IsInteger(JsonElement number) => !number.GetRawText().AsSpan().ContainsAny(".eE");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
