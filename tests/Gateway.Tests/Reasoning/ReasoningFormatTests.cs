using InferMesh.Contracts;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>Which templates reason, and where a reply begins, read from the prompt's end.</summary>
public sealed class ReasoningFormatTests
{
    [Theory]
    [InlineData(RealTemplates.Qwen3)]
    [InlineData(RealTemplates.DeepSeekR1)]
    [InlineData(RealTemplates.R1Distill)]
    [InlineData(RealTemplates.QwQ)]
    [InlineData(RealTemplates.SmolLM3)]
    public void Reasoning_models_templates_point_to_think_blocks(string template)
    {
        Assert.Equal(ReasoningFormats.Qwen3, ReasoningFormats.Detect(RealTemplates.Text(template)));
    }

    [Theory]
    [InlineData("Qwen/Qwen2.5-7B-Instruct")]
    [InlineData("meta-llama/Llama-3.1-8B-Instruct")]
    [InlineData("mistralai/Mistral-7B-Instruct-v0.3")]
    public void Other_templates_point_to_none(string template)
    {
        Assert.Equal(ReasoningFormats.None, ReasoningFormats.Detect(RealTemplates.Text(template)));
    }

    [Theory]
    [InlineData(ReasoningFormats.Qwen3, "<|im_start|>assistant\n", ReplyReasoning.MayOpenWithTag)]
    [InlineData(ReasoningFormats.Qwen3, "<|im_start|>assistant\n<think>\n", ReplyReasoning.StartsInside)]
    [InlineData(ReasoningFormats.Qwen3, "<|im_start|>assistant\n<think>\n\n</think>\n\n", ReplyReasoning.None)]
    [InlineData(ReasoningFormats.DeepSeekR1, "<｜Assistant｜>", ReplyReasoning.ReasonsWithOptionalTag)]
    [InlineData(ReasoningFormats.DeepSeekR1, "<｜Assistant｜><think>\n", ReplyReasoning.StartsInside)]
    [InlineData(ReasoningFormats.DeepSeekR1, "<｜Assistant｜></think>", ReplyReasoning.None)]
    [InlineData(ReasoningFormats.None, "<｜Assistant｜><think>\n", ReplyReasoning.None)]
    public void A_reply_begins_where_its_prompt_left_the_think_block(string format, string prompt, ReplyReasoning expected)
    {
        Assert.Equal(expected, ReasoningFormats.StartOf(format, prompt));
    }
}
