using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>Each golden model's chat template renders exactly what transformers' apply_chat_template produced.</summary>
public sealed class GoldenTemplateTests
{
    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama3-bf16")]
    [InlineData("tiny-mistral-sw8")]
    public void Golden_chat_template_render_is_reproduced(string model)
    {
        var dir = RepoPaths.Golden(model);
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reference.json")));
        var expected = reference.RootElement.GetProperty("chat_template_render").GetString();
        var template = ChatTemplate.FromModelFolder(dir)!;
        var rendered = template.RenderChat([("system", "You are terse."), ("user", "Hi there")], addGenerationPrompt: true);
        Assert.Equal(expected, rendered);
    }

    [Fact]
    public void Folder_without_a_template_has_none()
    {
        var dir = Path.Combine(Path.GetTempPath(), "infermesh-no-template-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        Assert.Null(ChatTemplate.FromModelFolder(dir));
    }

    [Fact]
    public void Template_in_tokenizer_config_is_used_when_there_is_no_jinja_file()
    {
        var dir = Path.Combine(Path.GetTempPath(), "infermesh-template-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"chat_template": "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"}""");
        Assert.Equal("[user]hi", ChatTemplate.FromModelFolder(dir)!.RenderChat([("user", "hi")], addGenerationPrompt: false));
    }
}
