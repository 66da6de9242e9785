using System.Text.Json;
using InferMesh.Contracts;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>ToolCallFormats.Detect on the real templates in tests/fixtures/templates.</summary>
public sealed class ToolCallFormatDetectTests
{
    [Theory]
    [InlineData("qwen2.5-instruct.jinja", ToolCallFormats.Hermes)]
    [InlineData("llama-3.1-instruct.jinja", ToolCallFormats.Llama3Json)]
    [InlineData("mistral-instruct-v0.3.jinja", ToolCallFormats.Mistral)]
    [InlineData("mistral-v7-tekken.jinja", ToolCallFormats.Mistral)]
    [InlineData("mistral-7b-instruct-v0.1.jinja", ToolCallFormats.None)]
    public void A_real_template_points_to_its_family_format(string file, string expected)
    {
        Assert.Equal(expected, ToolCallFormats.Detect(File.ReadAllText(Fixture.TemplatePath(file))));
    }

    [Theory]
    [InlineData("CohereForAI/c4ai-command-r-v01")]
    [InlineData("CohereLabs/c4ai-command-a-03-2025")]
    [InlineData("ollama/command-r7b:7b")]
    public void A_template_that_only_mentions_parameters_is_not_llama_json(string model)
    {
        using var corpus = JsonDocument.Parse(File.ReadAllText(Fixture.TemplatePath(Path.Combine("real", "templates.json"))));
        var source = corpus.RootElement.GetProperty(model).GetProperty("text").GetString()!;

        Assert.Contains("\"parameters\"", source);
        Assert.Equal(ToolCallFormats.None, ToolCallFormats.Detect(source));
    }

    [Theory]
    [InlineData("meta-llama/Llama-3.1-8B-Instruct")]
    [InlineData("meta-llama/Llama-3.2-11B-Vision-Instruct")]
    [InlineData("ollama/llama3.2:3b")]
    public void Llama_3_templates_in_the_real_corpus_are_llama_json(string model)
    {
        using var corpus = JsonDocument.Parse(File.ReadAllText(Fixture.TemplatePath(Path.Combine("real", "templates.json"))));

        Assert.Equal(ToolCallFormats.Llama3Json, ToolCallFormats.Detect(corpus.RootElement.GetProperty(model).GetProperty("text").GetString()!));
    }
}
