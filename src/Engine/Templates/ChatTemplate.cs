using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Templates;

/// <summary>
/// A compiled chat template: the Jinja subset real Hugging Face templates use (Llama 3, Qwen2.5, Mistral, ChatML),
/// rendered the way transformers does (trim_blocks, lstrip_blocks, raise_exception, strftime_now, tojson). Parse once,
/// render many times; thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<TemplateNode> _nodes;

    private ChatTemplate(string source, List<TemplateNode> nodes)
    {
        Source = source;
        _nodes = nodes;
    }

    public string Source { get; }

    /// <summary>Parses template source; unsupported syntax throws <see cref="TemplateException"/> naming the line.</summary>
    public static ChatTemplate Parse(string source) => new(source, TemplateParser.Parse(source));

    /// <summary>Loads chat_template.jinja, or the chat_template field of tokenizer_config.json; null when neither has one.</summary>
    public static ChatTemplate? FromModelFolder(string modelDirectory)
    {
        var jinja = Path.Combine(modelDirectory, "chat_template.jinja");
        if (File.Exists(jinja))
        {
            return Parse(File.ReadAllText(jinja));
        }

        var config = Path.Combine(modelDirectory, "tokenizer_config.json");
        if (!File.Exists(config))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(config));
        if (!doc.RootElement.TryGetProperty("chat_template", out var t))
        {
            return null;
        }

        if (t.ValueKind == JsonValueKind.String)
        {
            return Parse(t.GetString()!);
        }

        if (t.ValueKind == JsonValueKind.Array)
        {
            // A list of named templates: the one named "default" is the chat template.
            foreach (var entry in t.EnumerateArray())
            {
                if (entry.TryGetProperty("name", out var name) && name.GetString() == "default")
                {
                    return Parse(entry.GetProperty("template").GetString()!);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Renders with the given variables (messages, tools, add_generation_prompt, bos_token, eos_token, ...).
    /// Values are null, bool, numbers, string, IReadOnlyList&lt;object?&gt; or IReadOnlyDictionary&lt;string, object?&gt;
    /// (System.Text.Json.JsonElement is accepted too).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var globals = variables.ToDictionary(p => p.Key, p => TemplateValues.Normalize(p.Value));
        var output = new StringBuilder();
        try
        {
            TemplateRenderer.Render(_nodes, new TemplateScope(globals), output);
        }
        catch (LoopControl)
        {
            throw new TemplateException("break/continue outside a for-loop", 0);
        }

        return output.ToString();
    }

    /// <summary>Convenience: render a conversation of (role, content) messages.</summary>
    public string RenderChat(IEnumerable<(string Role, string Content)> messages, bool addGenerationPrompt = true, string? bosToken = null, string? eosToken = null) =>
        Render(new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = bosToken ?? "",
            ["eos_token"] = eosToken ?? "",
        });
}
