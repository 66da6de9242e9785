using System.Text.Json;
using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Gateway.Tests.Tools;

public sealed class HermesToolCallParserTests
{
    private readonly HermesToolCallParser _parser = new();

    [Fact]
    public void A_single_call_becomes_a_call_with_its_arguments_as_json_text_and_no_content()
    {
        var parse = _parser.Parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>");

        var call = Assert.Single(parse.Calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("{\"city\": \"Paris\", \"days\": 2}", call.Arguments);
        Assert.Equal(2, JsonDocument.Parse(call.Arguments).RootElement.GetProperty("days").GetInt32());
        Assert.Null(parse.Content);
    }

    [Fact]
    public void Several_calls_come_back_in_order_with_distinct_openai_style_ids()
    {
        var parse = _parser.Parse("<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {\"x\": [1, 2]}}\n</tool_call>");

        Assert.Equal(["a", "b"], parse.Calls.Select(c => c.Name));
        Assert.Equal("{\"x\": [1, 2]}", parse.Calls[1].Arguments);
        Assert.All(parse.Calls, c => Assert.Matches("^call_[A-Za-z0-9]{24}$", c.Id));
        Assert.NotEqual(parse.Calls[0].Id, parse.Calls[1].Id);
    }

    [Fact]
    public void Text_around_the_calls_is_the_content()
    {
        var parse = _parser.Parse("Let me look that up.\n<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}\n</tool_call>");

        Assert.Equal("Let me look that up.", parse.Content);
        Assert.Equal("search", Assert.Single(parse.Calls).Name);
    }

    [Fact]
    public void A_last_call_cut_off_before_its_closing_tag_still_counts()
    {
        var parse = _parser.Parse("<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}");

        Assert.Equal("{\"q\": \"x\"}", Assert.Single(parse.Calls).Arguments);
    }

    [Fact]
    public void Malformed_json_before_the_name_leaves_the_block_as_content()
    {
        const string reply = "Sure <tool_call>\n{\"name\" \"search\", \"arguments\": {\"q\": 1}}\n</tool_call>";

        var parse = _parser.Parse(reply);

        Assert.Empty(parse.Calls);
        Assert.Equal(reply, parse.Content);
    }

    [Fact]
    public void Arguments_broken_after_the_name_stay_a_call_with_the_arguments_as_written()
    {
        // Streamed, the header went out when the arguments began: the call stands, as a call cut short by max_tokens does.
        var parse = _parser.Parse("Sure <tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": }\n</tool_call>");

        Assert.Equal("{\"q\": }", Assert.Single(parse.Calls).Arguments);
        Assert.Equal("Sure", parse.Content);
    }

    [Fact]
    public void A_block_that_is_not_a_call_is_content_and_the_calls_before_it_stand()
    {
        var parse = _parser.Parse("<tool_call>{\"name\": \"f\"}</tool_call>\n<tool_call>{bad}</tool_call>");

        Assert.Equal("f", Assert.Single(parse.Calls).Name);
        Assert.Equal("<tool_call>{bad}</tool_call>", parse.Content);
    }

    [Fact]
    public void A_call_without_a_name_is_not_a_call()
    {
        Assert.Empty(_parser.Parse("<tool_call>{\"arguments\": {}}</tool_call>").Calls);
    }

    [Fact]
    public void Arguments_given_as_json_text_are_kept_as_that_text()
    {
        var parse = _parser.Parse("<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}</tool_call>");

        Assert.Equal("{\"a\": 1}", Assert.Single(parse.Calls).Arguments);
    }

    [Fact]
    public void Missing_arguments_read_as_an_empty_object()
    {
        Assert.Equal("{}", Assert.Single(_parser.Parse("<tool_call>{\"name\": \"now\"}</tool_call>").Calls).Arguments);
    }

    [Theory]
    [InlineData("plain text", 10)]
    [InlineData("text <tool_call>{", 5)]
    [InlineData("text <tool_c", 5)]
    [InlineData("text <", 5)]
    [InlineData("a < b", 5)]
    public void Streaming_holds_back_from_where_a_call_begins_or_may_begin(string soFar, int expected)
    {
        Assert.Equal(soFar[..expected], Released(soFar));
    }

    private string Released(string soFar)
    {
        var reader = _parser.NewReader();
        reader.Add(soFar);
        return string.Concat(reader.TakePieces().Select(p => p.Text));
    }
}
