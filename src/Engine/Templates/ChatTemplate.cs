namespace InferMesh.Engine.Templates;

/// <summary>
/// A compiled Jinja-subset chat template.
/// CONTRACT ONLY — implementation lands with the template work.
/// </summary>
public sealed class ChatTemplate
{
    private ChatTemplate()
    {
    }

    /// <summary>Parses template source; unsupported syntax throws <see cref="TemplateException"/> naming the line.</summary>
    public static ChatTemplate Parse(string source) => throw new NotImplementedException();

    /// <summary>Loads chat_template.jinja, or the chat_template field of tokenizer_config.json; null when neither has one.</summary>
    public static ChatTemplate? FromModelFolder(string modelDirectory) => throw new NotImplementedException();

    /// <summary>
    /// Renders with the given variables (messages, tools, add_generation_prompt, bos_token, eos_token, ...).
    /// Values are null, bool, numbers, string, IReadOnlyList&lt;object?&gt; or IReadOnlyDictionary&lt;string, object?&gt;
    /// (System.Text.Json.JsonElement is accepted too).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables) => throw new NotImplementedException();
}
