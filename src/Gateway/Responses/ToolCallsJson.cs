using System.Text.Json;
using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Gateway.Responses;

/// <summary>Writes tool calls as OpenAI does: a message's <c>tool_calls</c> array, and the deltas of a streamed call.</summary>
public static class ToolCallsJson
{
    /// <summary><c>"tool_calls": [{"id", "type": "function", "function": {"name", "arguments"}}]</c>.</summary>
    public static void WriteMessageCalls(Utf8JsonWriter json, IReadOnlyList<ParsedToolCall> calls)
    {
        json.WriteStartArray("tool_calls");
        foreach (var call in calls)
        {
            json.WriteStartObject();
            json.WriteString("id", call.Id);
            json.WriteString("type", "function");
            json.WriteStartObject("function");
            json.WriteString("name", call.Name);
            json.WriteString("arguments", call.Arguments);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>
    /// A streamed call's delta: <c>"tool_calls": [{"index", …}]</c> — the head (id, type, name, empty arguments) or,
    /// with <paramref name="head"/> false, the arguments.
    /// </summary>
    public static void WriteDeltaCall(Utf8JsonWriter json, int index, ParsedToolCall call, bool head)
    {
        json.WriteStartArray("tool_calls");
        json.WriteStartObject();
        json.WriteNumber("index", index);
        if (head)
        {
            json.WriteString("id", call.Id);
            json.WriteString("type", "function");
        }

        json.WriteStartObject("function");
        if (head)
        {
            json.WriteString("name", call.Name);
        }

        json.WriteString("arguments", head ? "" : call.Arguments);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
    }
}
