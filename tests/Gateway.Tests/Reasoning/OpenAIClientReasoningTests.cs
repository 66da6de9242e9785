using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

// JsonPatch, the client's way to read and send fields it does not model, is marked experimental.
#pragma warning disable SCME0001

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>
/// A reasoning model through the official OpenAI .NET client, which knows no reasoning_content: the answer arrives as
/// content (whole and streamed), the reasoning is there for those who read the extra field, and resending the reply
/// the way the client builds it renders what the template renders for it.
/// </summary>
public sealed class OpenAIClientReasoningTests(ReasoningGateway gateway) : IClassFixture<ReasoningGateway>
{
    private const string Reply = "<think>\nTwo and two.\n</think>\n\n4";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_answer_arrives_as_content_and_the_reasoning_as_an_extra_field()
    {
        gateway.Engine(ReasoningGateway.Qwen3).Reply = Reply;

        var completion = (await Client().CompleteChatAsync([new UserChatMessage("What is 2+2?")], cancellationToken: Ct)).Value;

        Assert.Equal("4", Assert.Single(completion.Content).Text);
        Assert.True(completion.Patch.TryGetValue("$.choices[0].message.reasoning_content"u8, out string? reasoning));
        Assert.Equal("Two and two.", reasoning);
    }

    [Fact]
    public async Task Streamed_reasoning_does_not_reach_the_content_updates()
    {
        gateway.Engine(ReasoningGateway.Qwen3).Reply = Reply;
        var content = "";
        var reasoning = "";
        ChatFinishReason? finish = null;

        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("What is 2+2?")], cancellationToken: Ct))
        {
            content += string.Concat(update.ContentUpdate.Select(p => p.Text));
            if (update.Patch.TryGetValue("$.choices[0].delta.reasoning_content"u8, out string? piece))
            {
                reasoning += piece;
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("4", content);
        Assert.Equal("Two and two.", reasoning);
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task A_session_conversation_resent_by_the_client_renders_what_the_template_renders_for_it()
    {
        var engine = gateway.Engine(ReasoningGateway.Qwen3);
        engine.Reply = Reply;
        var options = new ChatCompletionOptions();
        options.Patch.Set("$.session_id"u8, BinaryData.FromObjectAsJson("client-" + Guid.NewGuid().ToString("N")));
        List<ChatMessage> messages = [new UserChatMessage("What is 2+2?")];

        var first = (await Client().CompleteChatAsync(messages, options, Ct)).Value;
        messages.Add(new AssistantChatMessage(first));
        messages.Add(new UserChatMessage("And 3+3?"));
        engine.Reply = "6";
        await Client().CompleteChatAsync(messages, options, Ct);

        using var cases = JsonDocument.Parse(File.ReadAllText(Fixture.GatewayFixturePath("reasoning_prompts.json")));
        Assert.Equal(cases.RootElement.GetProperty("cases").GetProperty("qwen3_history_content_only").GetProperty("expected").GetString(), engine.LastPrompt);
    }

    private ChatClient Client() => new(ReasoningGateway.Qwen3, new ApiKeyCredential(GatewayHost.AliceKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.Host.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(0),
    });
}
