using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using InferMesh.Engine.Sampling;
using OpenAI;
using OpenAI.Chat;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// Forced tool_choice over the real tiny engine (shown a tool-calling template), through the official OpenAI .NET
/// client: the calls are valid whatever the model would have written. The parameters use enums and booleans, whose
/// values end: the tiny model never closes a free string or stops padding with white space within its 1024-token context.
/// </summary>
public sealed class ForcedToolChoiceEngineTests(ToolTemplateGateway gateway) : IClassFixture<ToolTemplateGateway>
{
    private const string WeatherParameters = """
        {"type": "object", "properties": {
          "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "minLength": 1},
          "hot": {"type": "boolean"}},
         "required": ["unit", "hot"], "additionalProperties": false}
        """;

    private const string TimeParameters = """{"type": "object", "properties": {"zone": {"enum": ["UTC", "CET"], "pattern": "^[A-Z]+$"}}, "required": ["zone"], "additionalProperties": false}""";

    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", null, BinaryData.FromString(WeatherParameters));
    private static readonly ChatTool Time = ChatTool.CreateFunctionTool("get_time", null, BinaryData.FromString(TimeParameters));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_named_function_choice_returns_one_call_with_arguments_valid_against_its_parameters()
    {
        var completion = (await Client().CompleteChatAsync([new UserChatMessage("Hi")], Options(ChatToolChoice.CreateFunctionChoice("get_weather")), Ct)).Value;

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Empty(completion.Content);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.True(Valid(WeatherParameters, call.FunctionArguments.ToString()), call.FunctionArguments.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_required_choice_returns_calls_valid_against_their_tools(bool parallel)
    {
        var options = Options(ChatToolChoice.CreateRequiredChoice());
        options.AllowParallelToolCalls = parallel;

        var completion = (await Client().CompleteChatAsync([new UserChatMessage("Hi")], options, Ct)).Value;

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.NotEmpty(completion.ToolCalls);
        Assert.All(completion.ToolCalls, call => Assert.True(
            Valid(call.FunctionName == "get_weather" ? WeatherParameters : TimeParameters, call.FunctionArguments.ToString()),
            $"{call.FunctionName}: {call.FunctionArguments}"));
        if (!parallel)
        {
            Assert.Single(completion.ToolCalls);
        }
    }

    [Fact]
    public async Task A_streamed_named_choice_equals_the_whole_reply()
    {
        var options = Options(ChatToolChoice.CreateFunctionChoice("get_weather"));
        var whole = (await Client().CompleteChatAsync([new UserChatMessage("Hi")], options, Ct)).Value;
        var content = new StringBuilder();
        var arguments = new StringBuilder();
        string? name = null;
        ChatFinishReason? finish = null;

        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("Hi")], options, Ct))
        {
            content.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            foreach (var part in update.ToolCallUpdates)
            {
                name ??= part.FunctionName;
                arguments.Append(part.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("", content.ToString());
        Assert.Equal("get_weather", name);
        Assert.Equal(Assert.Single(whole.ToolCalls).FunctionArguments.ToString(), arguments.ToString());
        Assert.Equal(whole.FinishReason, finish);
    }

    private static bool Valid(string schema, string json)
    {
        var cursor = new JsonSchemaCursor(CompiledJsonSchema.Compile(schema, strict: false, lenient: true));
        return cursor.Feed(Encoding.UTF8.GetBytes(json)) && cursor.IsComplete;
    }

    private static ChatCompletionOptions Options(ChatToolChoice choice)
    {
        var options = new ChatCompletionOptions { Temperature = 0, ToolChoice = choice };
        options.Tools.Add(Weather);
        options.Tools.Add(Time);
        return options;
    }

    private ChatClient Client() => new(gateway.Model, new ApiKeyCredential(GatewayHost.AliceKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.Host.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(0),
    });
}
