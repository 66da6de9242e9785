using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>Where a model folder's template comes from, in transformers' order of preference.</summary>
public sealed class ChatTemplateLoadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("infermesh-template-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Dictionary<string, object?> Empty = [];

    private void WriteConfig(object chatTemplate) =>
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, object> { ["chat_template"] = chatTemplate, ["eos_token"] = "</s>" }));

    [Fact]
    public void Folder_without_a_template_gives_null()
    {
        Assert.Null(ChatTemplate.FromModelFolder(_dir));

        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), """{"eos_token": "</s>"}""");
        Assert.Null(ChatTemplate.FromModelFolder(_dir));
    }

    [Fact]
    public void Chat_template_jinja_wins_over_tokenizer_config()
    {
        WriteConfig("from config");
        File.WriteAllText(Path.Combine(_dir, "chat_template.jinja"), "from jinja file\n");

        Assert.Equal("from jinja file", ChatTemplate.FromModelFolder(_dir)!.Render(Empty));
    }

    [Fact]
    public void Tokenizer_config_string_template_is_used()
    {
        WriteConfig("{{ 'from' }} config");

        Assert.Equal("from config", ChatTemplate.FromModelFolder(_dir)!.Render(Empty));
    }

    [Fact]
    public void Tokenizer_config_template_list_uses_the_one_named_default()
    {
        WriteConfig(new[] { new { name = "tool_use", template = "tools" }, new { name = "default", template = "plain" } });

        Assert.Equal("plain", ChatTemplate.FromModelFolder(_dir)!.Render(Empty));
    }

    [Fact]
    public void Tokenizer_config_template_list_without_default_is_an_error_naming_the_choices()
    {
        WriteConfig(new[] { new { name = "tool_use", template = "tools" }, new { name = "rag", template = "rag" } });

        var error = Assert.Throws<InvalidDataException>(() => ChatTemplate.FromModelFolder(_dir));

        Assert.Contains("tool_use, rag", error.Message, StringComparison.Ordinal);
        Assert.Contains("tokenizer_config.json", error.Message, StringComparison.Ordinal);
    }
}
