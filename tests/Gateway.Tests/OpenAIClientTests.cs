using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace InferMesh.Gateway.Tests;

/// <summary>The official OpenAI .NET client against the gateway over the real engine.</summary>
public sealed class OpenAIClientTests(RealEngineGateway gateway) : IClassFixture<RealEngineGateway>
{
    private const int ReplyTokens = 10;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Non_streamed_reply_is_the_bare_engine_greedy_reply()
    {
        var expected = await gateway.ReferenceReplyAsync([("user", "Tell me a story.")], ReplyTokens);

        var completion = (await Client().CompleteChatAsync([new UserChatMessage("Tell me a story.")], Greedy(), Ct)).Value;

        Assert.Equal(expected.Text, completion.Content[0].Text);
        Assert.Equal(expected.PromptTokens, completion.Usage.InputTokenCount);
        Assert.Equal(expected.CompletionTokens, completion.Usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Fact]
    public async Task Streamed_reply_is_the_same_text_with_usage_at_the_end()
    {
        var expected = await gateway.ReferenceReplyAsync([("user", "Stream something.")], ReplyTokens);

        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("Stream something.")], Greedy(), Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.Equal(expected.Text, text.ToString());
        Assert.NotNull(usage);
        Assert.Equal(expected.CompletionTokens, usage.OutputTokenCount);
    }

    [Fact]
    public async Task Session_turn_two_reuses_the_resident_kv_and_matches_the_bare_engine()
    {
        var chat = Client("openai-session");
        var first = (await chat.CompleteChatAsync([new UserChatMessage("Name a colour.")], Greedy(), Ct)).Value;

        var second = (await chat.CompleteChatAsync(
            [new UserChatMessage("Name a colour."), new AssistantChatMessage(first.Content[0].Text), new UserChatMessage("And an animal?")], Greedy(), Ct)).Value;

        var expected = await gateway.ReferenceReplyAsync([("user", "Name a colour."), ("assistant", first.Content[0].Text), ("user", "And an animal?")], ReplyTokens);
        Assert.Equal(expected.Text, second.Content[0].Text);
        Assert.True(second.Usage.InputTokenDetails.CachedTokenCount >= first.Usage.InputTokenCount, $"only {second.Usage.InputTokenDetails.CachedTokenCount} prompt tokens came from the session's KV");
    }

    [Fact]
    public async Task Models_are_listed_for_the_client()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential(GatewayHost.AliceKey), Options());

        var models = (await client.GetModelsAsync(Ct)).Value;

        Assert.Contains(models, m => m.Id == RealEngineGateway.Model && m.OwnedBy == "infermesh");
    }

    [Fact]
    public async Task Wrong_key_surfaces_as_a_401_client_exception()
    {
        var client = new ChatClient(RealEngineGateway.Model, new ApiKeyCredential("sk-wrong"), Options());

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], Greedy(), Ct));

        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task Logit_bias_of_100_makes_every_reply_token_that_token()
    {
        const int Forced = 300;
        var options = Greedy();
        options.LogitBiases.Add(Forced, 100);

        var completion = (await Client().CompleteChatAsync([new UserChatMessage("Say anything.")], options, Ct)).Value;

        Assert.Equal(gateway.Reference.Tokenizer.Decode(Enumerable.Repeat(Forced, ReplyTokens).ToArray()), completion.Content[0].Text);
    }

    [Fact]
    public async Task Logit_bias_on_a_token_beyond_the_vocabulary_is_a_400_naming_logit_bias()
    {
        var options = Greedy();
        options.LogitBiases.Add(1_000_000, 1);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client().CompleteChatAsync([new UserChatMessage("hi")], options, Ct));

        Assert.Equal(400, error.Status);
        using var body = System.Text.Json.JsonDocument.Parse(error.GetRawResponse()!.Content.ToString());
        var detail = body.RootElement.GetProperty("error");
        Assert.Equal("logit_bias", detail.GetProperty("param").GetString());
        Assert.DoesNotContain("(Parameter", detail.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static ChatCompletionOptions Greedy() => new() { Temperature = 0, MaxOutputTokenCount = ReplyTokens };

    private ChatClient Client(string? session = null)
    {
        var options = Options();
        if (session is not null)
        {
            options.AddPolicy(new SessionHeaderPolicy(session), PipelinePosition.PerCall);
        }

        return new ChatClient(RealEngineGateway.Model, new ApiKeyCredential(GatewayHost.AliceKey), options);
    }

    private OpenAIClientOptions Options() => new() { Endpoint = new Uri(gateway.Host.BaseAddress, "/v1"), RetryPolicy = new ClientRetryPolicy(0) };
}
