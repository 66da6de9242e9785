using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// Model output that is not valid Unicode inside a call never throws out of a parser: before the call's header (in its
/// name, or arguments given as a string) it makes the text content; in an arguments object, whose header went out when
/// it began, the call stands with the arguments as written (lone surrogate characters as U+FFFD).
/// </summary>
public sealed class ToolCallParserHostileTests
{
    public static TheoryData<string, string> LoneSurrogateCalls() => new()
    {
        { "hermes", "<tool_call>{\"name\": \"\\ud800\", \"arguments\": {}}</tool_call>" },
        { "hermes", "<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": \\\"\\\\udc00\\\"}\"}</tool_call>" },
        { "llama3_json", "{\"name\": \"\\ud800\", \"parameters\": {}}" },
        { "llama3_json", "<|python_tag|>{\"name\": \"f\", \"parameters\": \"{\\\"\\\\ud800\\\": 1}\"}" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"\\ud800\", \"arguments\": {}}]" },
        { "mistral", "{\"name\": \"\\ud800\", \"arguments\": {}}" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogateCalls))]
    public void A_call_with_a_lone_surrogate_escape_before_its_header_is_content_and_no_call(string format, string reply)
    {
        var parse = ToolCallParser.For(format)!.Parse(reply);

        Assert.Empty(parse.Calls);
        Assert.Equal(reply, parse.Content);
    }

    [Theory]
    [InlineData("hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": \"LONE\"}}</tool_call>")]
    [InlineData("llama3_json", "{\"name\": \"f\", \"parameters\": {\"a\": \"LONE\"}}")]
    [InlineData("mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": \"LONE\"}}]")]
    public void A_lone_surrogate_character_in_the_arguments_reaches_them_as_a_replacement_character(string format, string reply)
    {
        // Not an escape: the text itself holds one (put in here: theory data does not carry it intact).
        var text = reply.Replace("LONE", "\uD800", StringComparison.Ordinal);

        var parse = ToolCallParser.For(format)!.Parse(text);

        Assert.Equal("{\"a\": \"\uFFFD\"}", Assert.Single(parse.Calls).Arguments);
    }

    [Theory]
    [InlineData("hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": \"\\ud800\"}}</tool_call>")]
    [InlineData("llama3_json", "{\"name\": \"f\", \"parameters\": {\"a\": \"\\ud800\"}}")]
    [InlineData("mistral", "[{\"name\": \"f\", \"arguments\": {\"a\": \"\\ud800\"}}]")]
    public void A_lone_surrogate_escape_in_an_arguments_object_is_kept_as_written(string format, string reply)
    {
        Assert.Equal("{\"a\": \"\\ud800\"}", Assert.Single(ToolCallParser.For(format)!.Parse(reply).Calls).Arguments);
    }

    [Theory]
    [InlineData("hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": \"\\ud83d\\ude00\"}}</tool_call>")]
    [InlineData("llama3_json", "{\"name\": \"f\", \"parameters\": {\"a\": \"\\ud83d\\ude00\"}}")]
    [InlineData("mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": \"\\ud83d\\ude00\"}}]")]
    public void A_call_with_a_surrogate_pair_escape_is_still_a_call(string format, string reply)
    {
        Assert.Equal("f", Assert.Single(ToolCallParser.For(format)!.Parse(reply).Calls).Name);
    }
}
