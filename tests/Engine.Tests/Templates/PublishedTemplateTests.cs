using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>
/// The chat templates of Llama 3.1 Instruct, Qwen2.5 Instruct and Mistral Instruct v0.3 (tests/fixtures/templates),
/// checked against the prompt formats those model cards document.
/// </summary>
public sealed class PublishedTemplateTests
{
    private static ChatTemplate Load(string name) => ChatTemplate.Parse(File.ReadAllText(RepoPaths.Fixture("templates", name)));

    private static Dictionary<string, object?> Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    private static readonly Dictionary<string, object?> WeatherTool = new()
    {
        ["type"] = "function",
        ["function"] = new Dictionary<string, object?>
        {
            ["name"] = "get_weather",
            ["description"] = "Weather in a city",
            ["parameters"] = new Dictionary<string, object?> { ["type"] = "object", ["properties"] = new Dictionary<string, object?> { ["city"] = new Dictionary<string, object?> { ["type"] = "string" } } },
        },
    };

    [Fact]
    public void Llama31_puts_the_knowledge_cutoff_and_date_in_the_system_header()
    {
        var rendered = Load("llama-3.1-instruct.jinja").Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("system", "You are helpful."), Message("user", "Hi") },
            ["add_generation_prompt"] = true,
            ["bos_token"] = "<|begin_of_text|>",
            ["date_string"] = "26 Jul 2024",
        });
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are helpful.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            rendered);
    }

    [Fact]
    public void Llama31_passes_tools_in_the_first_user_message()
    {
        var rendered = Load("llama-3.1-instruct.jinja").Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "Weather in Paris?") },
            ["tools"] = new List<object?> { WeatherTool },
            ["add_generation_prompt"] = true,
            ["bos_token"] = "<|begin_of_text|>",
        });
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions", rendered);
        Assert.Contains("{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\"", rendered);
        Assert.EndsWith("Weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", rendered);
    }

    [Fact]
    public void Qwen25_adds_its_default_system_prompt_when_none_is_given()
    {
        var rendered = Load("qwen2.5-instruct.jinja").Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "Hello") },
            ["add_generation_prompt"] = true,
        });
        Assert.Equal("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", rendered);
    }

    [Fact]
    public void Qwen25_lists_tools_and_renders_tool_calls_and_responses()
    {
        var call = new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "", ["tool_calls"] = new List<object?> { new Dictionary<string, object?> { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = "get_weather", ["arguments"] = new Dictionary<string, object?> { ["city"] = "Paris" } } } } };
        var rendered = Load("qwen2.5-instruct.jinja").Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "Weather in Paris?"), call, Message("tool", "18C") },
            ["tools"] = new List<object?> { WeatherTool },
            ["add_generation_prompt"] = true,
        });
        Assert.Contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"", rendered);
        Assert.Contains("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n", rendered);
        Assert.EndsWith("<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n<|im_start|>assistant\n", rendered);
    }

    [Fact]
    public void Mistral_wraps_turns_in_inst_tags_with_the_system_prompt_in_the_last_user_turn()
    {
        var rendered = Load("mistral-instruct-v0.3.jinja").Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello!"), Message("user", "Bye") },
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
        });
        Assert.Equal("<s>[INST] Hi[/INST] Hello!</s>[INST] Be brief.\n\nBye[/INST]", rendered);
    }

    [Fact]
    public void Mistral_refuses_conversations_that_do_not_alternate()
    {
        var e = Assert.Throws<TemplateException>(() => Load("mistral-instruct-v0.3.jinja").Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "a"), Message("user", "b") },
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
        }));
        Assert.Contains("must alternate", e.Message);
    }
}
