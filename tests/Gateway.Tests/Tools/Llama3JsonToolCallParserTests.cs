using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Gateway.Tests.Tools;

public sealed class Llama3JsonToolCallParserTests
{
    private readonly Llama3JsonToolCallParser _parser = new();

    [Fact]
    public void A_reply_that_is_one_call_object_becomes_that_call_with_its_parameters_as_arguments()
    {
        var parse = _parser.Parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}");

        var call = Assert.Single(parse.Calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("{\"city\": \"Paris\"}", call.Arguments);
        Assert.Null(parse.Content);
    }

    [Fact]
    public void The_python_tag_before_the_call_is_skipped()
    {
        var parse = _parser.Parse("<|python_tag|>{\"name\": \"f\", \"parameters\": {}}");

        Assert.Equal("f", Assert.Single(parse.Calls).Name);
    }

    [Fact]
    public void Several_calls_separated_by_semicolons_are_all_read()
    {
        var parse = _parser.Parse(" {\"name\": \"a\", \"parameters\": {\"n\": 1}}; {\"name\": \"b\", \"arguments\": {\"n\": 2}}\n");

        Assert.Equal(["a", "b"], parse.Calls.Select(c => c.Name));
        Assert.Equal("{\"n\": 2}", parse.Calls[1].Arguments);
    }

    [Fact]
    public void Text_before_the_json_means_the_reply_is_content()
    {
        const string reply = "Here you go: {\"name\": \"f\", \"parameters\": {}}";

        var parse = _parser.Parse(reply);

        Assert.Empty(parse.Calls);
        Assert.Equal(reply, parse.Content);
    }

    [Fact]
    public void Text_after_the_call_is_content_and_the_call_stands()
    {
        var parse = _parser.Parse("{\"name\": \"f\", \"parameters\": {}} and more");

        Assert.Equal("{}", Assert.Single(parse.Calls).Arguments);
        Assert.Equal("and more", parse.Content);
    }

    [Fact]
    public void Json_cut_off_before_the_parameters_stays_content()
    {
        const string reply = "{\"name\": \"f\", \"param";

        Assert.Equal(reply, _parser.Parse(reply).Content);
        Assert.Empty(_parser.Parse(reply).Calls);
    }

    [Fact]
    public void Json_cut_off_inside_the_parameters_is_a_call_with_the_parameters_written_so_far()
    {
        var parse = _parser.Parse("{\"name\": \"f\", \"parameters\": {\"q\": \"unfinished");

        Assert.Equal("{\"q\": \"unfinished", Assert.Single(parse.Calls).Arguments);
    }

    [Fact]
    public void A_json_object_that_is_not_a_call_stays_content()
    {
        Assert.Empty(_parser.Parse("{\"answer\": 42}").Calls);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("  ", 0)]
    [InlineData("{\"na", 0)]
    [InlineData("<|pyth", 0)]
    [InlineData("The answer", 10)]
    public void Streaming_holds_back_only_a_reply_that_opens_like_a_call(string soFar, int expected)
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
