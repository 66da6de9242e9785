using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InferMesh.Gateway.Requests;

namespace InferMesh.Gateway.Tools;

/// <summary>
/// The JSON Schema a forced <c>tool_choice</c> constrains the reply to (vLLM's way, whatever the model's own
/// tool-call format): for a named function, that function's <c>parameters</c> (<c>{"type": "object"}</c> when it has
/// none), the reply being the call's arguments; for "required", an array (at least one item, at most one without
/// parallel_tool_calls) of <c>{"name": one of the tools, "parameters": that tool's parameters}</c>. With more tools
/// than <see cref="MaxBranches"/> (the decoding cursor follows that many anyOf branches), the names become an enum
/// and the parameters any object. Each tool's parameters go under the root's <c>$defs</c> as <c>tool{i}</c>, their
/// own <c>$defs</c>/<c>definitions</c> beside them as <c>tool{i}__X</c> with every local <c>$ref</c> rewritten, since a
/// <c>$ref</c> resolves against the root of the whole schema (Pydantic-made tool schemas use <c>$defs</c>). The silo
/// compiles it leniently and drops it when it cannot be followed.
/// </summary>
public static class ToolChoiceSchema
{
    /// <summary>The anyOf branches the decoding cursor follows at once (<c>JsonSchemaCursor.MaxPaths</c>).</summary>
    public const int MaxBranches = 8;

    private const string AnyObject = """{"type":"object"}""";

    /// <summary>The schema text for the request's tool_choice; null when it forces no call ("none", "auto").</summary>
    public static string? For(ToolsRequest tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        return tools.Choice switch
        {
            ToolChoiceMode.Function => tools.ParametersOf(tools.ChoiceName!) ?? AnyObject,
            ToolChoiceMode.Required => Required(tools),
            _ => null,
        };
    }

    private static string Required(ToolsRequest tools)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "array");
            json.WriteNumber("minItems", 1);
            if (!tools.ParallelToolCalls)
            {
                json.WriteNumber("maxItems", 1);
            }

            json.WritePropertyName("items");
            if (tools.Names.Count <= MaxBranches)
            {
                var defs = new JsonObject();
                json.WriteStartObject();
                json.WriteStartArray("anyOf");
                var index = 0;
                foreach (var name in tools.Names)
                {
                    var key = $"tool{index++}";
                    defs[key] = Hoist(JsonNode.Parse(tools.ParametersOf(name) ?? AnyObject)!, key, defs);
                    WriteCall(json, w => w.WriteString("const", name), $$"""{"$ref":"#/$defs/{{key}}"}""");
                }

                json.WriteEndArray();
                json.WriteEndObject();
                json.WritePropertyName("$defs");
                defs.WriteTo(json);
            }
            else
            {
                WriteCall(json, w =>
                {
                    w.WriteStartArray("enum");
                    foreach (var name in tools.Names)
                    {
                        w.WriteStringValue(name);
                    }

                    w.WriteEndArray();
                }, AnyObject);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Moves <paramref name="schema"/>'s own definitions into <paramref name="defs"/> as <c>{key}__X</c> and points its
    /// local <c>$ref</c>s there (<c>#</c> becomes <c>#/$defs/{key}</c>); other references are left as they are.
    /// </summary>
    private static JsonNode Hoist(JsonNode schema, string key, JsonObject defs)
    {
        if (schema is JsonObject root)
        {
            foreach (var section in new[] { "$defs", "definitions" })
            {
                if (root[section] is JsonObject own)
                {
                    root.Remove(section);
                    foreach (var (name, definition) in own.ToArray())
                    {
                        own.Remove(name);
                        defs[$"{key}__{name}"] = definition;
                    }
                }
            }
        }

        Rewrite(schema, key);
        foreach (var (name, definition) in defs.ToArray())
        {
            if (name.StartsWith($"{key}__", StringComparison.Ordinal) && definition is not null)
            {
                Rewrite(definition, key);
            }
        }

        return schema;
    }

    private static void Rewrite(JsonNode node, string key)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToArray())
                {
                    if (name == "$ref" && value is JsonValue reference && reference.TryGetValue<string>(out var target))
                    {
                        obj["$ref"] = target == "#" ? $"#/$defs/{key}"
                            : target.StartsWith("#/$defs/", StringComparison.Ordinal) ? $"#/$defs/{key}__{target["#/$defs/".Length..]}"
                            : target.StartsWith("#/definitions/", StringComparison.Ordinal) ? $"#/$defs/{key}__{target["#/definitions/".Length..]}"
                            : target;
                    }
                    else if (value is not null)
                    {
                        Rewrite(value, key);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        Rewrite(item, key);
                    }
                }

                break;
        }
    }

    /// <summary><c>{"type": "object", "properties": {"name": …, "parameters": …}, "required": [both], "additionalProperties": false}</c>.</summary>
    private static void WriteCall(Utf8JsonWriter json, Action<Utf8JsonWriter> name, string parameters)
    {
        json.WriteStartObject();
        json.WriteString("type", "object");
        json.WriteStartObject("properties");
        json.WriteStartObject("name");
        name(json);
        json.WriteEndObject();
        json.WritePropertyName("parameters");
        json.WriteRawValue(parameters);
        json.WriteEndObject();
        json.WriteStartArray("required");
        json.WriteStringValue("name");
        json.WriteStringValue("parameters");
        json.WriteEndArray();
        json.WriteBoolean("additionalProperties", false);
        json.WriteEndObject();
    }
}
