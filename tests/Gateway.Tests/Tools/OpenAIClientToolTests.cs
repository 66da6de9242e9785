using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>Tool calling as the official OpenAI .NET client does it: tools sent, calls received, results sent back.</summary>
public sealed class OpenAIClientToolTests(ToolGateway gateway) : IClassFixture<ToolGateway>
{
    private const string CallReply = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";

    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool(
        "get_weather",
        "Weather in a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_call_arrives_as_a_ChatToolCall_and_its_result_reaches_the_prompt_where_the_template_puts_it()
    {
        gateway.Engine.Reply = CallReply;
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris?")];

        var first = (await Client().CompleteChatAsync(messages, Options(), Ct)).Value;

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "{\"temp\": 21}"));
        gateway.Engine.Reply = "It is 21 degrees in Paris.";
        var second = (await Client().CompleteChatAsync(messages, Options(), Ct)).Value;

        Assert.Equal("It is 21 degrees in Paris.", second.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.EndsWith(
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
            gateway.Engine.LastPrompt);
    }

    [Fact]
    public async Task Streamed_call_updates_arrive_piece_by_piece_and_assemble_into_the_non_streamed_calls()
    {
        gateway.Engine.Reply = "Checking.\n" + CallReply + "\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\", \"days\": [1, 2]}}\n</tool_call>";
        var whole = (await Client().CompleteChatAsync([new UserChatMessage("Weather in Paris and Lyon?")], Options(), Ct)).Value;
        var calls = new SortedDictionary<int, (string? Id, string? Name, string Arguments)>();
        var argumentUpdates = 0;
        ChatFinishReason? finish = null;

        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris and Lyon?")], Options(), Ct))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                var call = calls.GetValueOrDefault(part.Index, (null, null, ""));
                var fragment = part.FunctionArgumentsUpdate?.ToString() ?? "";
                argumentUpdates += fragment.Length > 0 ? 1 : 0;
                calls[part.Index] = (call.Id ?? part.ToolCallId, call.Name ?? part.FunctionName, call.Arguments + fragment);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(whole.ToolCalls.Select(c => (c.FunctionName, c.FunctionArguments.ToString())), calls.Values.Select(c => (c.Name!, c.Arguments)));
        Assert.All(calls.Values, c => Assert.StartsWith("call_", c.Id));
        Assert.Equal(["{\"city\": \"Paris\"}", "{\"city\": \"Lyon\", \"days\": [1, 2]}"], calls.Values.Select(c => c.Arguments));
        Assert.True(argumentUpdates > calls.Count, $"{argumentUpdates} argument updates: not streamed piece by piece");
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    private static ChatCompletionOptions Options()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 64 };
        options.Tools.Add(Weather);
        return options;
    }

    private ChatClient Client() => new(ToolGateway.Model, new ApiKeyCredential(GatewayHost.AliceKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.Host.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(0),
    });
}
