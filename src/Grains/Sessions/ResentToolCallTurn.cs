using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Grains.Sessions;

/// <summary>
/// Recognises an assistant turn a client resends in OpenAI's form as the stored reply it came from. The session stores
/// the model's raw reply text (what its KV holds); the gateway gave the client that text parsed into <c>tool_calls</c>
/// with ids it made up, and clients send it back that way. The two are the same turn when the stored text, read in the
/// session's tool-call format, makes the same calls — function names equal and in order, arguments equal as JSON values
/// (white space and key order aside) — and the resent content is empty or the text outside the calls (white space
/// aside). Call ids are not compared: the tool messages that follow carry the client's ids and are rendered as sent.
/// A reply decoded under tool_choice "required" is stored as the <c>[{"name", "parameters"}]</c> list it was constrained
/// to, whatever the format: it matches a resent turn without content whose calls equal that list. A named function's
/// reply is stored as its bare arguments object, which names no function: it is not matched (any call with those
/// arguments would match, so a client could slip a different function into the history), and such a session's resent
/// turn is appended as a divergence.
/// </summary>
internal static class ResentToolCallTurn
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static bool Matches(ChatMessage stored, ChatMessage resent, ToolCallParser? parser)
    {
        if (stored.Role != "assistant" || resent.Role != "assistant" || stored.ToolCalls is not null || resent.ToolCalls is not { Count: > 0 } calls)
        {
            return false;
        }

        if (string.IsNullOrWhiteSpace(resent.Content) && MatchesForcedReply(stored.Content, calls))
        {
            return true;
        }

        if (parser is null)
        {
            return false;
        }

        // Read as the gateway read it: only the request's functions are calls. The stored turn does not keep that list,
        // so the resent calls' names stand for it — a block naming another function then stays text, and must equal
        // the resent content (a reply mixing requested and unrequested calls).
        var parse = parser.Parse(stored.Content, calls.Select(c => c.Name).ToHashSet(StringComparer.Ordinal));
        if (parse.Calls.Count != calls.Count || !string.IsNullOrWhiteSpace(resent.Content) && !SameText(resent.Content, parse.Content ?? ""))
        {
            return false;
        }

        for (var i = 0; i < calls.Count; i++)
        {
            if (!string.Equals(parse.Calls[i].Name, calls[i].Name, StringComparison.Ordinal) || !SameJson(parse.Calls[i].Arguments, calls[i].Arguments))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The stored reply is a list of {"name", "parameters"} equal to the calls.</summary>
    private static bool MatchesForcedReply(string stored, IReadOnlyList<ToolCallInfo> calls)
    {
        try
        {
            using var reply = JsonDocument.Parse(stored, Options);
            var root = reply.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != calls.Count)
            {
                return false;
            }

            var i = 0;
            foreach (var item in root.EnumerateArray())
            {
                var call = calls[i++];
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("name", out var name) || !name.ValueEquals(call.Name)
                    || !item.TryGetProperty("parameters", out var parameters) || !SameJson(parameters, call.Arguments))
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a lone surrogate escape, which JSON parses but DeepEquals cannot read.
            return false;
        }
    }

    private static bool SameJson(JsonElement stored, string arguments)
    {
        try
        {
            using var other = JsonDocument.Parse(arguments, Options);
            return JsonElement.DeepEquals(stored, other.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a lone surrogate escape, which JSON parses but DeepEquals cannot read.
            return false;
        }
    }

    // A streamed reply's content is the text before the calls as it came, the whole reply's is trimmed and joined.
    private static bool SameText(string a, string b) =>
        a.Where(c => !char.IsWhiteSpace(c)).SequenceEqual(b.Where(c => !char.IsWhiteSpace(c)));

    private static bool SameJson(string a, string b)
    {
        try
        {
            using var left = JsonDocument.Parse(a, Options);
            using var right = JsonDocument.Parse(b, Options);
            return JsonElement.DeepEquals(left.RootElement, right.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a lone surrogate escape, which JSON parses but DeepEquals cannot read.
            return false;
        }
    }
}
