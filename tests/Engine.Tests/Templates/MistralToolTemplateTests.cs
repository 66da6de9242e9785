using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>
/// Mistral's tool-calling templates: Mistral-7B-Instruct-v0.3's (mistral-instruct-v0.3.jinja) and the v7 tekken one of
/// mistral-common (mistral-v7-tekken.jinja). Expected renders follow the formats Mistral documents
/// (https://docs.mistral.ai/guides/tokenization/: [AVAILABLE_TOOLS] before the last user turn, [TOOL_CALLS] as a JSON
/// list ending with &lt;/s&gt;, [TOOL_RESULTS]; v7 adds [SYSTEM_PROMPT] and [TOOL_CONTENT]).
/// </summary>
public sealed class MistralToolTemplateTests
{
    private static readonly ChatTemplate V03 = Load("mistral-instruct-v0.3.jinja");
    private static readonly ChatTemplate V7 = Load("mistral-v7-tekken.jinja");

    private static readonly Dictionary<string, object?> WeatherTool = new()
    {
        ["type"] = "function",
        ["function"] = new Dictionary<string, object?>
        {
            ["name"] = "get_current_weather",
            ["description"] = "Get the current weather",
            ["parameters"] = new Dictionary<string, object?>
            {
                ["type"] = "object",
                ["properties"] = new Dictionary<string, object?> { ["location"] = new Dictionary<string, object?> { ["type"] = "string" } },
                ["required"] = new List<object?> { "location" },
            },
        },
    };

    private static ChatTemplate Load(string file) => ChatTemplate.Parse(File.ReadAllText(RepoPaths.Fixture("templates", file)));

    private static Dictionary<string, object?> Message(string role, string? content, params (string Key, object? Value)[] extra)
    {
        var message = new Dictionary<string, object?> { ["role"] = role, ["content"] = content };
        foreach (var (key, value) in extra)
        {
            message[key] = value;
        }

        return message;
    }

    private static List<object?> ToolCall(string id, object? arguments) =>
    [
        new Dictionary<string, object?>
        {
            ["id"] = id,
            ["type"] = "function",
            ["function"] = new Dictionary<string, object?> { ["name"] = "get_current_weather", ["arguments"] = arguments },
        },
    ];

    private static string Render(ChatTemplate template, List<object?> messages, bool withTools) => template.Render(new Dictionary<string, object?>
    {
        ["messages"] = messages,
        ["tools"] = withTools ? new List<object?> { WeatherTool } : null,
        ["documents"] = null,
        ["add_generation_prompt"] = false,
        ["bos_token"] = "<s>",
        ["eos_token"] = "</s>",
    });

    [Fact]
    public void V03_tool_round_trip_offers_tools_before_the_last_user_turn_and_wraps_calls_and_results()
    {
        var rendered = Render(V03,
        [
            Message("user", "What's the weather like today in Paris?"),
            Message("assistant", null, ("tool_calls", ToolCall("9Ae3bDc2F", new Dictionary<string, object?> { ["location"] = "Paris, France" }))),
            Message("tool", "22", ("tool_call_id", "9Ae3bDc2F")),
            Message("assistant", "It is 22 °C in Paris."),
            Message("user", "And tomorrow?"),
        ], withTools: true);

        Assert.Equal(
            "<s>[INST] What's the weather like today in Paris?[/INST]"
            + "[TOOL_CALLS] [{\"name\": \"get_current_weather\", \"arguments\": {\"location\": \"Paris, France\"}, \"id\": \"9Ae3bDc2F\"}]</s>"
            + "[TOOL_RESULTS] {\"content\": 22, \"call_id\": \"9Ae3bDc2F\"}[/TOOL_RESULTS]"
            + " It is 22 °C in Paris.</s>"
            + "[AVAILABLE_TOOLS] [{\"type\": \"function\", \"function\": {\"name\": \"get_current_weather\", \"description\": \"Get the current weather\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}}, \"required\": [\"location\"]}}}][/AVAILABLE_TOOLS]"
            + "[INST] And tomorrow?[/INST]",
            rendered);
    }

    [Fact]
    public void V03_refuses_tool_call_ids_that_are_not_nine_characters_with_its_own_message()
    {
        var error = Assert.Throws<TemplateException>(() => Render(V03,
        [
            Message("user", "Weather?"),
            Message("assistant", null, ("tool_calls", ToolCall("short", new Dictionary<string, object?>()))),
        ], withTools: false));

        Assert.Equal("Tool call IDs should be alphanumeric strings with length 9!", error.Reason);
    }

    [Fact]
    public void V7_puts_the_system_prompt_in_its_own_block_and_closes_answers_with_eos()
    {
        var rendered = Render(V7,
        [
            Message("system", "You are terse."),
            Message("user", "Hi there"),
            Message("assistant", "Hello."),
            Message("user", "What is 2+2?"),
        ], withTools: false);

        Assert.Equal("<s>[SYSTEM_PROMPT]You are terse.[/SYSTEM_PROMPT][INST]Hi there[/INST]Hello.</s>[INST]What is 2+2?[/INST]", rendered);
    }

    [Fact]
    public void V7_tool_calls_with_string_arguments_and_results_with_tool_content()
    {
        var rendered = Render(V7,
        [
            Message("user", "Weather?"),
            Message("assistant", null, ("tool_calls", ToolCall("abcdefghi", "{\"location\": \"Paris\"}"))),
            Message("tool", "sunny", ("tool_call_id", "abcdefghi")),
        ], withTools: true);

        Assert.Equal(
            "<s>[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_current_weather\", \"description\": \"Get the current weather\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}}, \"required\": [\"location\"]}}}][/AVAILABLE_TOOLS]"
            + "[INST]Weather?[/INST][TOOL_CALLS][{\"name\": \"get_current_weather\", \"arguments\": {\"location\": \"Paris\"}, \"id\": \"abcdefghi\"}]</s>"
            + "[TOOL_RESULTS]abcdefghi[TOOL_CONTENT]sunny[/TOOL_RESULTS]",
            rendered);
    }

    /// <summary>
    /// The v7 template marks dict arguments safe (arguments|tojson|safe) and then joins them with '+'; markupsafe's
    /// Markup escapes the plain strings it is added to, so transformers itself renders the quotes around them as &amp;#34;.
    /// </summary>
    [Fact]
    public void V7_tool_calls_with_dict_arguments_come_out_html_escaped_exactly_as_transformers_renders_them()
    {
        var rendered = Render(V7,
        [
            Message("user", "Weather?"),
            Message("assistant", null, ("tool_calls", ToolCall("abcdefghi", new Dictionary<string, object?> { ["location"] = "Paris" }))),
        ], withTools: false);

        Assert.Equal(
            "<s>[INST]Weather?[/INST][TOOL_CALLS]"
            + "[{&#34;name&#34;: &#34;get_current_weather&#34;, &#34;arguments&#34;: {\"location\": \"Paris\"}, &#34;id&#34;: &#34;abcdefghi&#34;}]</s>",
            rendered);
    }
}
