using System.Text.Json;

namespace InferMesh.Engine.Templates;

/// <summary>
/// A compiled Jinja-subset chat template, rendered as transformers' apply_chat_template renders it
/// (jinja2 with trim_blocks and lstrip_blocks, loopcontrols, raise_exception, strftime_now, json.dumps-based tojson).
/// Parse once; <see cref="Render(IReadOnlyDictionary{string, object?})"/> is thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private readonly TemplateNode[] _nodes;

    private ChatTemplate(string source, TemplateNode[] nodes)
    {
        Source = source;
        _nodes = nodes;
    }

    /// <summary>The template text as given.</summary>
    public string Source { get; }

    /// <summary>Parses template source; unsupported syntax throws <see cref="TemplateException"/> naming the line.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, TemplateParser.Parse(source));
    }

    /// <summary>
    /// Loads chat_template.jinja, or else the chat_template field of tokenizer_config.json (a string, or a list of
    /// {name, template} from which "default" is taken, as transformers does); null when neither has one.
    /// </summary>
    public static ChatTemplate? FromModelFolder(string modelDirectory)
    {
        var jinjaPath = Path.Combine(modelDirectory, "chat_template.jinja");
        if (File.Exists(jinjaPath))
        {
            return Parse(File.ReadAllText(jinjaPath));
        }

        var configPath = Path.Combine(modelDirectory, "tokenizer_config.json");
        if (!File.Exists(configPath))
        {
            return null;
        }

        using var config = JsonDocument.Parse(File.ReadAllText(configPath));
        if (config.RootElement.ValueKind != JsonValueKind.Object || !config.RootElement.TryGetProperty("chat_template", out var template))
        {
            return null;
        }

        switch (template.ValueKind)
        {
            case JsonValueKind.String:
                return Parse(template.GetString()!);
            case JsonValueKind.Array:
                var names = new List<string>();
                foreach (var entry in template.EnumerateArray())
                {
                    var name = entry.TryGetProperty("name", out var n) ? n.GetString() : null;
                    if (name == "default" && entry.TryGetProperty("template", out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        return Parse(text.GetString()!);
                    }

                    names.Add(name ?? "(unnamed)");
                }

                throw new InvalidDataException(
                    $"{configPath}: chat_template lists templates [{string.Join(", ", names)}] but none is named \"default\"; pass the one to use explicitly");
            case JsonValueKind.Null:
                return null;
            default:
                throw new InvalidDataException($"{configPath}: chat_template must be a string or a list of {{name, template}}, not {template.ValueKind}");
        }
    }

    /// <summary>
    /// Renders with the given variables (messages, tools, add_generation_prompt, bos_token, eos_token, ...).
    /// Values are null, bool, numbers, string, IReadOnlyList&lt;object?&gt; or IReadOnlyDictionary&lt;string, object?&gt;
    /// (System.Text.Json.JsonElement is accepted too).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables) => Render(variables, TimeProvider.System);

    /// <summary>Convenience: renders a conversation of (role, content) messages with the usual variables.</summary>
    public string RenderChat(IEnumerable<(string Role, string Content)> messages, bool addGenerationPrompt = true, string? bosToken = null, string? eosToken = null) =>
        Render(new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = bosToken ?? "",
            ["eos_token"] = eosToken ?? "",
        });

    /// <summary>Renders with <paramref name="clock"/> as the source of strftime_now's time.</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(variables);
        ArgumentNullException.ThrowIfNull(clock);
        return new TemplateRenderer(variables, clock).Render(_nodes);
    }
}
