using System.Buffers;
using System.Text;
using System.Text.Json;
using InferMesh.Gateway.Requests;

namespace InferMesh.Gateway.Tools;

/// <summary>
/// The JSON Schema a forced <c>tool_choice</c> constrains the reply to (vLLM's way, whatever the model's own
/// tool-call format): for a named function, that function's <c>parameters</c> (<c>{"type": "object"}</c> when it has
/// none), the reply being the call's arguments; for "required", an array (at least one item, at most one without
/// parallel_tool_calls) of <c>{"name": one of the tools, "parameters": that tool's parameters}</c>. With more tools
/// than <see cref="MaxBranches"/> (the decoding cursor follows that many anyOf branches), the names become an enum
/// and the parameters any object. The silo compiles it leniently and drops it when it cannot be followed.
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
                json.WriteStartObject();
                json.WriteStartArray("anyOf");
                foreach (var name in tools.Names)
                {
                    WriteCall(json, w => w.WriteString("const", name), tools.ParametersOf(name) ?? AnyObject);
                }

                json.WriteEndArray();
                json.WriteEndObject();
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
