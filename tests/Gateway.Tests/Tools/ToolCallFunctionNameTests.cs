using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>A call counts only when it names a function the request offers; llama3_json calls must carry parameters.</summary>
public sealed class ToolCallFunctionNameTests
{
    private static readonly string[] Offered = ["get_weather", "get_time"];

    [Theory]
    [InlineData("hermes", "<tool_call>{\"name\": \"Alice\", \"arguments\": {}}</tool_call>")]
    [InlineData("llama3_json", "{\"name\": \"Alice\", \"parameters\": {\"age\": 3}}")]
    [InlineData("mistral", "[TOOL_CALLS] [{\"name\": \"Alice\", \"arguments\": {}}]")]
    [InlineData("mistral", "{\"name\": \"Alice\", \"age\": 3}")]
    public void A_call_to_a_function_not_offered_leaves_the_reply_content(string format, string reply)
    {
        var parse = ToolCallParser.For(format)!.Parse(reply, Offered);

        Assert.Empty(parse.Calls);
        Assert.Equal(reply, parse.Content);
    }

    [Fact]
    public void A_hermes_block_calling_a_function_not_offered_is_content_beside_the_calls_that_stand()
    {
        var parse = new HermesToolCallParser().Parse("<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"rm\", \"arguments\": {}}</tool_call>", Offered);

        Assert.Equal("get_time", Assert.Single(parse.Calls).Name);
        Assert.Equal("<tool_call>{\"name\": \"rm\", \"arguments\": {}}</tool_call>", parse.Content);
    }

    [Theory]
    [InlineData("hermes", "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>")]
    [InlineData("llama3_json", "{\"name\": \"get_time\", \"parameters\": {}}")]
    [InlineData("mistral", "[TOOL_CALLS] [{\"name\": \"get_time\", \"arguments\": {}}]")]
    public void A_call_to_an_offered_function_is_a_call(string format, string reply)
    {
        Assert.Equal("get_time", Assert.Single(ToolCallParser.For(format)!.Parse(reply, Offered).Calls).Name);
    }

    [Theory]
    [InlineData("{\"name\": \"Alice\", \"age\": 3}")]
    [InlineData("{\"name\": \"get_time\"}")]
    public void A_llama_json_object_without_parameters_or_arguments_is_content_whatever_its_name(string reply)
    {
        var parse = new Llama3JsonToolCallParser().Parse(reply);

        Assert.Empty(parse.Calls);
        Assert.Equal(reply, parse.Content);
    }

    [Fact]
    public void A_llama_json_call_with_arguments_instead_of_parameters_is_a_call()
    {
        Assert.Equal("{\"a\": 1}", Assert.Single(new Llama3JsonToolCallParser().Parse("{\"name\": \"f\", \"arguments\": {\"a\": 1}}").Calls).Arguments);
    }
}
