using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using InferMesh.Engine.Sampling;
using OpenAI;
using OpenAI.Chat;

namespace InferMesh.Gateway.Tests;

/// <summary>response_format json_object through the official OpenAI .NET client, over the real engine.</summary>
public sealed class JsonResponseFormatTests(RealEngineGateway gateway) : IClassFixture<RealEngineGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0f)]
    [InlineData(0.9f)]
    public async Task Json_object_replies_are_json_and_parse_whenever_they_stop(float temperature)
    {
        var options = new ChatCompletionOptions
        {
            Temperature = temperature,
            MaxOutputTokenCount = 40,
            ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(),
        };

        var completion = (await Client().CompleteChatAsync([new UserChatMessage("Describe a cat as JSON.")], options, Ct)).Value;

        AssertJsonReply(completion.Content[0].Text, completion.FinishReason);
    }

    [Fact]
    public async Task Streamed_json_object_reply_is_json_too()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40, ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() };
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("Stream a JSON object.")], options, Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        AssertJsonReply(text.ToString(), finish ?? throw new InvalidOperationException("no finish reason"));
    }

    [Fact]
    public async Task Without_a_response_format_the_same_request_is_not_constrained()
    {
        var plain = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40 };
        var json = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40, ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() };

        var free = (await Client().CompleteChatAsync([new UserChatMessage("Describe a cat as JSON.")], plain, Ct)).Value.Content[0].Text;
        var constrained = (await Client().CompleteChatAsync([new UserChatMessage("Describe a cat as JSON.")], json, Ct)).Value.Content[0].Text;

        // The tiny model does not write JSON by itself: the constraint is what makes the difference.
        Assert.NotEqual(free, constrained);
        Assert.StartsWith("{", constrained.TrimStart());
    }

    private static void AssertJsonReply(string text, ChatFinishReason finish)
    {
        var cursor = new JsonCursor();
        Assert.True(cursor.Feed(Encoding.UTF8.GetBytes(text)), $"not a JSON object prefix: {text}");
        if (finish == ChatFinishReason.Stop)
        {
            using var document = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
        else
        {
            Assert.Equal(ChatFinishReason.Length, finish);
        }
    }

    private ChatClient Client() => new(RealEngineGateway.Model, new ApiKeyCredential(GatewayHost.AliceKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.Host.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(0),
    });
}
