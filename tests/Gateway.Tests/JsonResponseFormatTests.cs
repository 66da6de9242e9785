using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using InferMesh.Engine.Sampling;
using OpenAI;
using OpenAI.Chat;

namespace InferMesh.Gateway.Tests;

/// <summary>response_format json_object and json_schema through the official OpenAI .NET client, over the real engine.</summary>
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
        var (text, finish) = await StreamAsync("Stream a JSON object.", options);

        AssertJsonReply(text, finish);
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

    private const string CatSchema = """
        {"type": "object", "properties": {
          "name": {"type": "string"}, "legs": {"type": "integer"}, "indoor": {"type": "boolean"},
          "color": {"enum": ["black", "white", "orange"]}},
         "required": ["name", "legs", "indoor", "color"], "additionalProperties": false}
        """;

    [Theory]
    [InlineData(0f)]
    [InlineData(0.9f)]
    public async Task Json_schema_replies_validate_against_the_schema_whenever_they_stop(float temperature)
    {
        var options = new ChatCompletionOptions
        {
            Temperature = temperature,
            MaxOutputTokenCount = 120,
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("cat", BinaryData.FromString(CatSchema), jsonSchemaIsStrict: true),
        };

        var completion = (await Client().CompleteChatAsync([new UserChatMessage("Describe a cat as JSON.")], options, Ct)).Value;

        AssertCatReply(completion.Content[0].Text, completion.FinishReason);
    }

    [Fact]
    public async Task Json_schema_reply_nudged_to_close_stops_on_a_valid_document()
    {
        // Left alone the tiny model runs out of tokens mid-document; biases towards quotes, commas, closing braces and
        // end of sequence make it finish, so the reply that stops is checked too.
        var options = new ChatCompletionOptions
        {
            Temperature = 1f,
            MaxOutputTokenCount = 200,
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("cat", BinaryData.FromString(CatSchema), jsonSchemaIsStrict: true),
        };
        foreach (var id in new[] { "\"", ",", "}", "1", "true" }.Select(s => gateway.Reference.Tokenizer.Encode(s).Last()).Distinct())
        {
            options.LogitBiases[id] = 12;
        }

        foreach (var eos in gateway.Reference.EosTokenIds)
        {
            options.LogitBiases[eos] = 100;
        }

        var completion = (await Client().CompleteChatAsync([new UserChatMessage("Describe a cat as JSON.")], options, Ct)).Value;

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        AssertCatReply(completion.Content[0].Text, completion.FinishReason);
    }

    [Fact]
    public async Task Streamed_json_schema_reply_validates_too()
    {
        var options = new ChatCompletionOptions
        {
            Temperature = 0,
            MaxOutputTokenCount = 120,
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("cat", BinaryData.FromString(CatSchema), jsonSchemaIsStrict: true),
        };
        var (text, finish) = await StreamAsync("Stream a cat.", options);

        AssertCatReply(text, finish);
    }

    [Theory]
    [InlineData("""{"type": "object", "properties": {"at": {"$ref": "https://example.com/s.json"}}}""", "only local references")]
    [InlineData("""{"type": "date"}""", "'date'")]
    [InlineData("""{"type": "object", "required": ["a"], "additionalProperties": false}""", "'a'")]
    public async Task A_schema_the_silo_cannot_compile_is_a_400_saying_why(string schema, string why)
    {
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("s", BinaryData.FromString(schema), jsonSchemaIsStrict: true) };

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client().CompleteChatAsync([new UserChatMessage("Hi")], options, Ct));

        Assert.Equal(400, error.Status);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("response_format.json_schema.schema", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schema_with_keywords_the_decoder_does_not_enforce_is_a_400_naming_them()
    {
        const string schema = """{"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}""";
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("address", BinaryData.FromString(schema), jsonSchemaIsStrict: true) };

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client().CompleteChatAsync([new UserChatMessage("Where?")], options, Ct));

        Assert.Equal(400, error.Status);
        Assert.Contains("'pattern' at #/properties/zip", error.Message, StringComparison.Ordinal);
        Assert.Contains("response_format.json_schema.schema", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Checked by hand against <see cref="CatSchema"/> (not with the engine's own cursor) when the reply stopped.</summary>
    private static void AssertCatReply(string text, ChatFinishReason finish)
    {
        var cursor = new JsonSchemaCursor(CompiledJsonSchema.Compile(CatSchema));
        Assert.True(cursor.Feed(Encoding.UTF8.GetBytes(text)), $"not a prefix of a valid document: {text}");
        if (finish != ChatFinishReason.Stop)
        {
            Assert.Equal(ChatFinishReason.Length, finish);
            return;
        }

        using var document = JsonDocument.Parse(text);
        var cat = document.RootElement;
        Assert.Equal(["color", "indoor", "legs", "name"], cat.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.String, cat.GetProperty("name").ValueKind);
        Assert.True(cat.GetProperty("legs").TryGetInt64(out _), text);
        Assert.True(cat.GetProperty("indoor").ValueKind is JsonValueKind.True or JsonValueKind.False, text);
        Assert.Contains(cat.GetProperty("color").GetString(), new[] { "black", "white", "orange" });
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

    /// <summary>The streamed reply's text and finish reason.</summary>
    private async Task<(string Text, ChatFinishReason Finish)> StreamAsync(string prompt, ChatCompletionOptions options)
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage(prompt)], options, Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        return (text.ToString(), finish ?? throw new InvalidOperationException("no finish reason"));
    }

    private ChatClient Client() => new(RealEngineGateway.Model, new ApiKeyCredential(GatewayHost.AliceKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.Host.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(0),
    });
}
