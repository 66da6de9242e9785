using System.Net;
using System.Text.Json;
using static InferMesh.Gateway.Tests.Reasoning.ReasoningClient;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>
/// <c>chat_template_kwargs</c> reach the chat template as variables (Qwen3's enable_thinking, SmolLM3's too) and are
/// checked at the gateway: an object of named values that override nothing the server sets.
/// </summary>
public sealed class ChatTemplateKwargsTests(ReasoningGateway gateway) : IClassFixture<ReasoningGateway>
{
    private static string Body(string model, string kwargs) => ReasoningClient.Body(model, User("What is 2+2?"), $"\"chat_template_kwargs\":{kwargs}");

    private async Task<JsonElement> RefusedAsync(string kwargs) =>
        (await PostAsync(gateway.Host, Body(ReasoningGateway.Qwen3, kwargs), expected: HttpStatusCode.BadRequest)).GetProperty("error");

    [Fact]
    public async Task Qwen3_with_thinking_disabled_renders_an_empty_think_block_and_its_reply_is_all_content()
    {
        gateway.Engine(ReasoningGateway.Qwen3).Reply = "4";

        var message = await MessageAsync(gateway.Host, Body(ReasoningGateway.Qwen3, """{"enable_thinking": false}"""));

        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n", gateway.Engine(ReasoningGateway.Qwen3).LastPrompt);
        Assert.Equal("4", StringOrNull(message, "content"));
        Assert.Null(StringOrNull(message, "reasoning_content"));
    }

    [Fact]
    public async Task SmolLM3_with_thinking_disabled_renders_its_no_think_prompt()
    {
        gateway.Engine(ReasoningGateway.SmolLM3).Reply = "4";

        var message = await MessageAsync(gateway.Host, Body(ReasoningGateway.SmolLM3, """{"enable_thinking": false}"""));

        var prompt = gateway.Engine(ReasoningGateway.SmolLM3).LastPrompt;
        Assert.Contains("Reasoning Mode: /no_think", prompt);
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n", prompt);
        Assert.Equal("4", StringOrNull(message, "content"));
    }

    [Theory]
    [InlineData("messages")]
    [InlineData("tools")]
    [InlineData("documents")]
    [InlineData("add_generation_prompt")]
    [InlineData("bos_token")]
    [InlineData("eos_token")]
    [InlineData("raise_exception")]
    public async Task A_variable_the_server_sets_is_refused_by_name(string name)
    {
        var error = await RefusedAsync($$"""{"enable_thinking": true, "{{name}}": 1}""");

        Assert.Equal($"chat_template_kwargs.{name}", error.GetProperty("param").GetString());
        Assert.Equal("reserved_variable", error.GetProperty("code").GetString());
        Assert.Contains($"'{name}' is set by the server", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"enable_thinking=false\"")]
    [InlineData("true")]
    public async Task Kwargs_that_are_not_an_object_are_refused(string kwargs)
    {
        var error = await RefusedAsync(kwargs);

        Assert.Equal("chat_template_kwargs", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Kwargs_nested_too_deep_are_refused()
    {
        var error = await RefusedAsync("""{"a": [[[[[[[[[1]]]]]]]]]}""");

        Assert.Equal("chat_template_kwargs.a", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task More_kwargs_than_the_limit_are_refused()
    {
        var many = "{" + string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"k{i}\": {i}")) + "}";

        var error = await RefusedAsync(many);

        Assert.Equal("object_above_max_properties", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_empty_variable_name_is_refused()
    {
        var error = await RefusedAsync("""{"": 1}""");

        Assert.Equal("invalid_value", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_lone_surrogate_in_kwargs_is_refused()
    {
        var error = await RefusedAsync("""{"name": "\ud800"}""");

        Assert.Equal("invalid_unicode", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Reasoning_content_on_a_user_message_is_refused()
    {
        var body = ReasoningClient.Body(ReasoningGateway.Qwen3, """{"role":"user","content":"hi","reasoning_content":"x"}""");

        var error = (await PostAsync(gateway.Host, body, expected: HttpStatusCode.BadRequest)).GetProperty("error");

        Assert.Equal("messages[0].reasoning_content", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Reasoning_content_that_is_not_a_string_is_refused_naming_the_message()
    {
        var body = ReasoningClient.Body(ReasoningGateway.Qwen3, $"{User("hi")},{{\"role\":\"assistant\",\"content\":\"4\",\"reasoning_content\":[\"x\"]}},{User("and?")}");

        var error = (await PostAsync(gateway.Host, body, expected: HttpStatusCode.BadRequest)).GetProperty("error");

        Assert.Equal("messages[1].reasoning_content", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task An_assistant_message_with_reasoning_and_null_content_is_accepted_and_rendered()
    {
        gateway.Engine(ReasoningGateway.Qwen3).Reply = "4";
        var body = ReasoningClient.Body(ReasoningGateway.Qwen3, $"{User("hi")},{{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"Thinking.\"}},{User("and?")}");

        await PostAsync(gateway.Host, body);

        Assert.Contains("<|im_start|>assistant\n<|im_end|>", gateway.Engine(ReasoningGateway.Qwen3).LastPrompt);
    }

    [Fact]
    public async Task An_assistant_message_with_only_null_content_is_accepted_as_an_empty_turn()
    {
        // What this gateway returns for a reply cut off while thinking, resent by a client that drops reasoning_content.
        gateway.Engine(ReasoningGateway.Qwen3).Reply = "4";
        var body = ReasoningClient.Body(ReasoningGateway.Qwen3, $"{User("hi")},{{\"role\":\"assistant\",\"content\":null}},{User("and?")}");

        await PostAsync(gateway.Host, body);

        Assert.Contains("<|im_start|>assistant\n<|im_end|>", gateway.Engine(ReasoningGateway.Qwen3).LastPrompt);
    }
}
