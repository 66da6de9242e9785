using System.Security.Cryptography;
using System.Text.Json;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Requests;

namespace InferMesh.Gateway.Tools;

/// <summary>
/// Reads a reply decoded under <see cref="ToolChoiceSchema"/> as the calls it stands for: with a named function, the
/// whole reply (a JSON object) is that function's arguments; with "required", each item of the reply's JSON array
/// <c>[{"name", "parameters"}]</c> is a call. A reply of another shape (cut short by max_tokens, or decoded
/// unconstrained because the silo could not follow the tools' schemas) is no forced call: null.
/// </summary>
public static class ForcedToolCalls
{
    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>The calls the reply makes under a forced <paramref name="choice"/>; null when it is not of the forced shape.</summary>
    public static IReadOnlyList<ParsedToolCall>? Read(string reply, ToolChoiceMode choice, string? choiceName, IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(reply);
        ArgumentNullException.ThrowIfNull(names);
        if (choice is not (ToolChoiceMode.Function or ToolChoiceMode.Required))
        {
            return null;
        }

        var text = reply.Trim();
        try
        {
            using var document = JsonDocument.Parse(text, Options);
            var root = document.RootElement;
            if (choice == ToolChoiceMode.Function)
            {
                return root.ValueKind == JsonValueKind.Object ? [new ParsedToolCall(NewId(), choiceName!, text)] : null;
            }

            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0)
            {
                return null;
            }

            var calls = new List<ParsedToolCall>();
            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || !names.Contains(name.GetString()!)
                    || !item.TryGetProperty("parameters", out var parameters) || parameters.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                calls.Add(new ParsedToolCall(NewId(), name.GetString()!, parameters.GetRawText()));
            }

            return calls;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a lone surrogate escape, which JSON parses but no string holds; not a call.
            return null;
        }
    }

    private static string NewId() => "call_" + RandomNumberGenerator.GetString(IdAlphabet, 24);
}
