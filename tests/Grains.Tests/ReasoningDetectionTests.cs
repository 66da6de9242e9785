using System.Text.Json.Nodes;
using InferMesh.Contracts;
using InferMesh.Engine.Tokenization;
using InferMesh.Grains.Sessions;

namespace InferMesh.Grains.Tests;

/// <summary>
/// A model reasons when its template uses &lt;/think&gt; — unless its tokenizer makes &lt;/think&gt; a special token,
/// which the engine leaves out of reply text, so the reply could not be split on it.
/// </summary>
public sealed class ReasoningDetectionTests
{
    /// <summary>The golden tokenizer with &lt;think&gt; and &lt;/think&gt; added, the closing one special or not.</summary>
    private static TextTokenizer TokenizerWithThinkTokens(bool closingIsSpecial)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenModel.Directory(), "tokenizer.json")))!;
        var added = json["added_tokens"]!.AsArray();
        var next = json["model"]!["vocab"]!.AsObject().Count;
        foreach (var (content, special) in new[] { ("<think>", false), ("</think>", closingIsSpecial) })
        {
            added.Add(new JsonObject
            {
                ["id"] = next++, ["content"] = content, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = special,
            });
        }

        var path = Path.Combine(Path.GetTempPath(), $"think-tokenizer-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try
        {
            return TextTokenizer.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(false, ReasoningFormats.Qwen3)]
    [InlineData(true, ReasoningFormats.None)]
    public void The_template_decides_unless_the_tokenizer_hides_the_closing_tag(bool closingIsSpecial, string expected)
    {
        var engine = new TemplateOnlyEngine("", "Qwen/Qwen3-0.6B", TokenizerWithThinkTokens(closingIsSpecial));

        Assert.Equal(expected, TurnPrompt.ReasoningFormatOf(engine, engine.ChatTemplate!, forcedReasoningFormat: null));
    }

    [Fact]
    public void The_gateways_forced_format_wins_over_the_template()
    {
        var engine = new TemplateOnlyEngine("", "Qwen/Qwen3-0.6B");

        Assert.Equal(ReasoningFormats.None, TurnPrompt.ReasoningFormatOf(engine, engine.ChatTemplate!, ReasoningFormats.None));
    }
}
