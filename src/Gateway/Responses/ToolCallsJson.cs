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
    /// A streamed call's delta: <c>"tool_calls": [{"index", …}]</c> — for a header the id, type, name and empty
    /// arguments, as vLLM sends it; for an arguments piece just the fragment.
    /// </summary>
    public static void WriteDeltaCall(Utf8JsonWriter json, ToolCallPiece piece)
    {
        var head = piece.Kind == ToolCallPieceKind.Header;
        json.WriteStartArray("tool_calls");
        json.WriteStartObject();
        json.WriteNumber("index", piece.CallIndex);
        if (head)
        {
            json.WriteString("id", piece.Id);
            json.WriteString("type", "function");
        }

        json.WriteStartObject("function");
        if (head)
        {
            json.WriteString("name", piece.Text);
        }

        json.WriteString("arguments", head ? "" : piece.Text);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
    }
}
