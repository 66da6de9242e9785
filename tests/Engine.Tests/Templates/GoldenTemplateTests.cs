using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>
/// Every golden model's <c>chat_template_render</c> (transformers' apply_chat_template with the make_golden.py
/// conversation and add_generation_prompt=True), and the shipped models/ folders', is reproduced exactly.
/// </summary>
public sealed class GoldenTemplateTests
{
    public static TheoryData<string> GoldenModels()
    {
        var data = new TheoryData<string>();
        var folders = Directory.GetDirectories(Path.Combine(RepoPaths.Root, "tests", "fixtures", "golden"))
            .Concat(Directory.Exists(Path.Combine(RepoPaths.Root, "models")) ? Directory.GetDirectories(Path.Combine(RepoPaths.Root, "models")) : []);
        foreach (var dir in folders.Order(StringComparer.Ordinal))
        {
            if (File.Exists(Path.Combine(dir, "reference.json")))
            {
                data.Add(Path.GetRelativePath(RepoPaths.Root, dir).Replace('\\', '/'));
            }
        }

        return data;
    }

    private static readonly List<object?> Conversation =
    [
        new Dictionary<string, object?> { ["role"] = "system", ["content"] = "You are terse." },
        new Dictionary<string, object?> { ["role"] = "user", ["content"] = "Hi there" },
    ];

    private static string ExpectedRender(string model)
    {
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.Combine(RepoPaths.Root, model), "reference.json")));
        return reference.RootElement.GetProperty("chat_template_render").GetString()!;
    }

    [Theory]
    [MemberData(nameof(GoldenModels))]
    public void Golden_model_template_renders_like_transformers(string model)
    {
        var template = ChatTemplate.FromModelFolder(Path.Combine(RepoPaths.Root, model));

        Assert.NotNull(template);
        var rendered = template.Render(new Dictionary<string, object?> { ["messages"] = Conversation, ["add_generation_prompt"] = true });
        Assert.Equal(ExpectedRender(model), rendered);
    }

    [Theory]
    [MemberData(nameof(GoldenModels))]
    public void Golden_model_template_renders_the_same_through_render_chat(string model)
    {
        var rendered = ChatTemplate.FromModelFolder(Path.Combine(RepoPaths.Root, model))!.RenderChat([("system", "You are terse."), ("user", "Hi there")]);

        Assert.Equal(ExpectedRender(model), rendered);
    }

    [Theory]
    [MemberData(nameof(GoldenModels))]
    public void Golden_model_template_renders_the_same_from_json_messages(string model)
    {
        var template = ChatTemplate.FromModelFolder(Path.Combine(RepoPaths.Root, model))!;
        using var messages = JsonDocument.Parse("""[{"role":"system","content":"You are terse."},{"role":"user","content":"Hi there"}]""");

        var rendered = template.Render(new Dictionary<string, object?> { ["messages"] = messages.RootElement, ["add_generation_prompt"] = true });

        Assert.Equal(ExpectedRender(model), rendered);
    }
}
