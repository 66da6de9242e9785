using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// Every model output of the tool-call tests, streamed in pieces of any size down to one character, reads as the same
/// calls (names, and arguments fragments that add up to exactly the non-streamed arguments), content (white space
/// aside) and kind of finish as the same reply parsed whole, in every format, with any name or only requested ones.
/// </summary>
public sealed class ToolCallStreamConsistencyTests
{
    private static readonly string[] Requested = ["f", "g", "search", "get_weather", "get_time"];

    public static TheoryData<string, string> Replies() => new()
    {
        { "hermes", "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>" },
        { "hermes", "Sure. <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> Done." },
        { "hermes", "a <tool_call> is how I would call" },
        { "hermes", "<tool_call>{\"name\": \"f\"}</tool_call><tool_call>{bad}</tool_call>" },
        { "hermes", "plain text ending in <tool_" },
        { "hermes", "  " },
        { "hermes", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>" },
        { "hermes", "<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {\"x\": [1, 2]}}\n</tool_call>" },
        { "hermes", "Let me look that up.\n<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}\n</tool_call>" },
        { "hermes", "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}" },
        { "hermes", "Sure <tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": }\n</tool_call>" },
        { "hermes", "<tool_call>{\"arguments\": {}}</tool_call>" },
        { "hermes", "<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}</tool_call>" },
        { "hermes", "<tool_call>{\"name\": \"now\"}</tool_call>" },
        { "hermes", "<tool_call>{\"arguments\": {\"q\": \"}\"}, \"name\": \"search\"}</tool_call>" },
        { "hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"html\": \"<b>\\\"x\\\"</b> {[\"}}</tool_call> after" },
        { "hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": \"</tool_call>\"}}</tool_call>" },
        { "hermes", "<tool_call>{\"name\": \"\\ud800\", \"arguments\": {}}</tool_call>" },
        { "hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": \"\\ud83d\\ude00 é\"}}</tool_call>" },
        { "hermes", "<tool_call>\n{\"name\": \"delete_everything\", \"arguments\": {}}\n</tool_call>" },
        { "llama3_json", "{\"name\": \"f\", \"parameters\": {\"a\": 1}}" },
        { "llama3_json", "  <|python_tag|>{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\", \"arguments\": {}}" },
        { "llama3_json", "{\"name\": \"f\", \"parameters\": {}} and then text" },
        { "llama3_json", "Here: {\"name\": \"f\", \"parameters\": {}}" },
        { "llama3_json", "<|python" },
        { "llama3_json", "<|pythonic|> no" },
        { "llama3_json", "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}" },
        { "llama3_json", " {\"name\": \"a\", \"parameters\": {\"n\": 1}}; {\"name\": \"b\", \"arguments\": {\"n\": 2}}\n" },
        { "llama3_json", "{\"name\": \"f\", \"parameters\": {\"q\": \"unfinished" },
        { "llama3_json", "{\"answer\": 42}" },
        { "llama3_json", "{\"name\": \"Alice\", \"age\": 3}" },
        { "llama3_json", "{\"name\": \"get_time\"}" },
        { "llama3_json", "<|python_tag|>{\"name\": \"f\", \"parameters\": \"{\\\"\\\\ud800\\\": 1}\"}" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": 1}}]" },
        { "mistral", "Checking.[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}]" },
        { "mistral", " [{\"name\": \"f\", \"arguments\": {}}]" },
        { "mistral", "{\"name\": \"f\", \"arguments\": {\"a\": 1}}" },
        { "mistral", "[1, 2, 3]" },
        { "mistral", "[1, 2] then [TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}]" },
        { "mistral", "{\"answer\": 42}" },
        { "mistral", "Sure. [TOOL_" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"get_time\", \"arguments\": {}}]" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {]" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": 1}}, 5]" },
        { "mistral", "{\"name\": \"Alice\", \"arguments\": {}}" },
        { "mistral", "[TOOL_CALLS]" },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void Streamed_and_whole_replies_read_the_same(string format, string reply)
    {
        foreach (var functions in new[] { null, Requested })
        {
            var whole = ToolCallParser.For(format)!.Parse(reply, functions);
            foreach (var pieceLength in new[] { 1, 2, 3, 7, reply.Length })
            {
                var streamed = StreamedToolReply.Of(format, reply, pieceLength, new ToolCalling("auto", true, functions));

                Assert.Equal(whole.Calls.Select(c => (c.Name, c.Arguments)), streamed.Calls);
                Assert.Equal(NoSpace(whole.Content ?? ""), NoSpace(streamed.Content));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void Arguments_objects_after_the_name_streamed_a_character_at_a_time_arrive_in_several_fragments(string format, string reply)
    {
        var streamed = StreamedToolReply.Of(format, reply, 1);

        // Arguments given as a JSON string, left out ("{}") or written before the name go out in one piece.
        for (var call = 0; call < streamed.Calls.Count; call++)
        {
            var fragments = streamed.Pieces.Count(p => p.Kind == ToolCallPieceKind.Arguments && p.CallIndex == call);
            var whole = streamed.Calls[call].Arguments.Length <= 2 || reply.Contains("\"arguments\": \"", StringComparison.Ordinal)
                || reply.Contains("\"parameters\": \"", StringComparison.Ordinal) || reply.Contains("{\"arguments\": {", StringComparison.Ordinal);
            Assert.True(whole ? fragments >= 1 : fragments > 1, $"call {call}: {fragments} fragments");
        }
    }

    private static string NoSpace(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));
}
