using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Gateway.Tests.Tools;

public sealed class MistralToolCallParserTests
{
    private readonly MistralToolCallParser _parser = new();

    [Fact]
    public void A_tool_calls_list_becomes_calls_with_nine_character_ids()
    {
        var parse = _parser.Parse("[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"get_time\", \"arguments\": {}}]");

        Assert.Equal(["get_weather", "get_time"], parse.Calls.Select(c => c.Name));
        Assert.Equal("{\"city\": \"Paris\"}", parse.Calls[0].Arguments);
        Assert.All(parse.Calls, c => Assert.Matches("^[A-Za-z0-9]{9}$", c.Id));
        Assert.Null(parse.Content);
    }

    [Fact]
    public void Text_before_the_marker_is_the_content()
    {
        var parse = _parser.Parse("Checking.[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}]");

        Assert.Equal("Checking.", parse.Content);
        Assert.Single(parse.Calls);
    }

    [Fact]
    public void A_bare_list_is_read_as_calls_since_the_engine_drops_the_special_marker_token()
    {
        Assert.Equal("f", Assert.Single(_parser.Parse(" [{\"name\": \"f\", \"arguments\": {\"a\": 1}}]").Calls).Name);
    }

    [Fact]
    public void A_list_that_is_not_of_calls_stays_content()
    {
        const string reply = "[1, 2, 3]";

        Assert.Equal(reply, _parser.Parse(reply).Content);
        Assert.Empty(_parser.Parse(reply).Calls);
    }

    [Fact]
    public void Malformed_json_after_the_marker_before_a_name_stays_content()
    {
        const string reply = "[TOOL_CALLS] [{\"name\": 3, \"arguments\": {}}]";

        Assert.Equal(reply, _parser.Parse(reply).Content);
    }

    [Fact]
    public void A_list_that_breaks_after_a_call_keeps_the_call_and_the_rest_is_content()
    {
        var parse = _parser.Parse("[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": 1}}, 5]");

        Assert.Equal("{\"a\": 1}", Assert.Single(parse.Calls).Arguments);
        Assert.Equal(", 5]", parse.Content);
    }

    [Fact]
    public void The_character_that_breaks_an_announced_call_object_is_kept_as_the_content_after_it()
    {
        // The call object never closes: the call stands as written and "Sure!" is what follows it, first letter included
        // (the space before it was still white space inside the object).
        var parse = _parser.Parse("[TOOL_CALLS] {\"name\": \"f\", \"arguments\": {} Sure!");

        Assert.Equal("{}", Assert.Single(parse.Calls).Arguments);
        Assert.Equal("Sure!", parse.Content);
    }

    [Theory]
    [InlineData("Sure.", 5)]
    [InlineData("Sure. [TOOL_", 6)]
    [InlineData(" [{", 0)]
    public void Streaming_holds_back_from_the_marker_or_an_opening_list(string soFar, int expected)
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
