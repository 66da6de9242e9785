using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>
/// The published chat templates of Llama 3.1 Instruct, Qwen2.5 Instruct and Mistral 7B Instruct (texts in
/// tests/fixtures/templates, sources in SOURCES.md) render the prompt formats those models document:
/// Llama 3.1: https://www.llama.com/docs/model-cards-and-prompt-formats/llama3_1/ (headers, eot, knowledge-cutoff
/// preamble, JSON tool calling with tools in the first user message, ipython role for tool output);
/// Qwen2.5: ChatML with the default system prompt and Hermes-style &lt;tools&gt;/&lt;tool_call&gt;/&lt;tool_response&gt;
/// (https://qwen.readthedocs.io/en/latest/framework/function_call.html);
/// Mistral: &lt;s&gt;[INST] user [/INST]answer&lt;/s&gt; with strictly alternating roles.
/// </summary>
public sealed class RealTemplateTests
{
    private static readonly ChatTemplate Llama31 = Load("llama-3.1-instruct.jinja");
    private static readonly ChatTemplate Qwen25 = Load("qwen2.5-instruct.jinja");
    private static readonly ChatTemplate Mistral = Load("mistral-7b-instruct-v0.1.jinja");

    private static ChatTemplate Load(string name) => ChatTemplate.Parse(File.ReadAllText(RepoPaths.Fixture("templates", name)));

    private static Dictionary<string, object?> Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    private static readonly Dictionary<string, object?> WeatherTool = new()
    {
        ["type"] = "function",
        ["function"] = new Dictionary<string, object?>
        {
            ["name"] = "get_weather",
            ["description"] = "Get the weather",
            ["parameters"] = new Dictionary<string, object?>
            {
                ["type"] = "object",
                ["properties"] = new Dictionary<string, object?> { ["city"] = new Dictionary<string, object?> { ["type"] = "string" } },
                ["required"] = new List<object?> { "city" },
            },
        },
    };

    private static Dictionary<string, object?> ToolCall(string name, Dictionary<string, object?> arguments) => new()
    {
        ["role"] = "assistant",
        ["content"] = "",
        ["tool_calls"] = new List<object?> { new Dictionary<string, object?> { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = name, ["arguments"] = arguments } } },
    };

    [Fact]
    public void Llama31_renders_system_user_and_generation_header_with_the_fixed_date()
    {
        var rendered = Llama31.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("system", "You are a helpful assistant"), Message("user", "What is the capital of France?") },
            ["add_generation_prompt"] = true,
            ["bos_token"] = "<|begin_of_text|>",
            ["date_string"] = "26 Jul 2024",
        });

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            + "You are a helpful assistant<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            rendered);
    }

    [Fact]
    public void Llama31_without_a_system_message_still_emits_the_preamble_and_trims_turns()
    {
        var rendered = Llama31.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "  Hi  "), Message("assistant", "Hello!\n"), Message("user", "Bye") },
            ["add_generation_prompt"] = false,
            ["bos_token"] = "<|begin_of_text|>",
        });

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>",
            rendered);
    }

    [Fact]
    public void Llama31_tool_conversation_puts_tools_in_the_first_user_turn_and_tool_output_in_ipython()
    {
        var rendered = Llama31.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?>
            {
                Message("system", "You are a helpful assistant."),
                Message("user", "Weather in Paris?"),
                ToolCall("get_weather", new Dictionary<string, object?> { ["city"] = "Paris" }),
                Message("tool", "sunny"),
            },
            ["tools"] = new List<object?> { WeatherTool },
            ["add_generation_prompt"] = true,
            ["bos_token"] = "<|begin_of_text|>",
            ["date_string"] = "26 Jul 2024",
        });

        const string toolJson = """
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the weather",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "city": {
                                "type": "string"
                            }
                        },
                        "required": [
                            "city"
                        ]
                    }
                }
            }
            """;
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            + "You are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\n"
            + "Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n"
            + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n"
            + toolJson + "\n\n"
            + "Weather in Paris?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
            + "<|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"<|eot_id|>" // string content is iterable, so the template JSON-encodes it
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            rendered);
    }

    [Fact]
    public void Llama31_rejects_parallel_tool_calls_with_its_own_message()
    {
        var call = ToolCall("get_weather", new Dictionary<string, object?> { ["city"] = "Paris" });
        ((List<object?>)call["tool_calls"]!).Add(((List<object?>)call["tool_calls"]!)[0]);

        var error = Assert.Throws<TemplateException>(() => Llama31.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "x"), call },
            ["bos_token"] = "<|begin_of_text|>",
        }));

        Assert.Equal("This model only supports single tool-calls at once!", error.Reason);
    }

    [Fact]
    public void Qwen25_adds_its_default_system_prompt_when_none_is_given()
    {
        var rendered = Qwen25.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "Hello") },
            ["add_generation_prompt"] = true,
        });

        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
            rendered);
    }

    [Fact]
    public void Qwen25_uses_the_given_system_prompt_and_keeps_content_verbatim()
    {
        var rendered = Qwen25.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("system", "Be brief."), Message("user", " Hi "), Message("assistant", "Hey."), Message("user", "Again") },
            ["add_generation_prompt"] = false,
            ["tools"] = null,
        });

        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n Hi <|im_end|>\n"
            + "<|im_start|>assistant\nHey.<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n",
            rendered);
    }

    [Fact]
    public void Qwen25_tool_conversation_lists_tools_and_wraps_calls_and_responses()
    {
        var rendered = Qwen25.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?>
            {
                Message("user", "Weather in Paris and Rome?"),
                ToolCall("get_weather", new Dictionary<string, object?> { ["city"] = "Paris" }),
                Message("tool", "sunny"),
                Message("tool", "rainy"),
            },
            ["tools"] = new List<object?> { WeatherTool },
            ["add_generation_prompt"] = true,
        });

        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
            + "You may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": "
            + "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n</tools>\n\n"
            + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
            + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\nWeather in Paris and Rome?<|im_end|>\n"
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\nsunny\n</tool_response>\n<tool_response>\nrainy\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n",
            rendered);
    }

    [Fact]
    public void Mistral_wraps_user_turns_in_inst_and_ends_answers_with_eos()
    {
        var rendered = Mistral.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "What is your favourite condiment?"), Message("assistant", "Ketchup."), Message("user", "Why?") },
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
        });

        Assert.Equal("<s>[INST] What is your favourite condiment? [/INST]Ketchup.</s> [INST] Why? [/INST]", rendered);
    }

    [Fact]
    public void Mistral_raises_its_alternation_error_when_two_user_turns_follow_each_other()
    {
        var error = Assert.Throws<TemplateException>(() => Mistral.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("user", "a"), Message("user", "b") },
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
        }));

        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.Reason);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Mistral_rejects_a_system_message_through_the_same_alternation_check()
    {
        var error = Assert.Throws<TemplateException>(() => Mistral.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { Message("system", "s"), Message("user", "u") },
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
        }));

        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.Reason);
    }
}
