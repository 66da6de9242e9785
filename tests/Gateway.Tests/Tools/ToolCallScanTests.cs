using System.Text;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>
/// Streaming a reply scans each character a bounded number of times, whatever its shape: the work per delta does not
/// grow with the reply (it did: every delta rebuilt and rescanned the whole text).
/// </summary>
public sealed class ToolCallScanTests
{
    private const int Deltas = 20_000;

    public static TheoryData<string, string> Shapes() => new()
    {
        { "hermes", "plain words, no call " },
        { "hermes", "<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": \"" },
        { "hermes", "a <tool_ca" },
        { "llama3_json", "{\"name\": \"f\", \"parameters\": {\"x\": \"" },
        { "llama3_json", "some prose " },
        { "llama3_json", "   \n" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"x\": \"" },
        { "mistral", "Checking [TOOL" },
        { "mistral", "[[[[" },
        { "mistral", "\n\n\n" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Characters_scanned_grow_linearly_with_single_character_deltas(string format, string pattern)
    {
        var stream = new ToolCallStream(ToolCallParser.For(format), new ToolCalling("auto", true));
        var reply = new StringBuilder();
        while (reply.Length < Deltas)
        {
            reply.Append(pattern);
        }

        foreach (var c in reply.ToString(0, Deltas))
        {
            stream.Add(c.ToString(), null);
        }

        // Each delta looks at itself and at most a marker's length before it.
        Assert.InRange(stream.CharactersScanned, 0, 16L * Deltas);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void An_incremental_scan_finds_what_scanning_each_prefix_afresh_finds(string format, string pattern)
    {
        var parser = ToolCallParser.For(format)!;
        var scan = new ToolCallScan();
        var text = string.Concat(Enumerable.Repeat(pattern, 4)) + "<tool_call>[TOOL_CALLS]";
        for (var length = 0; length <= text.Length; length++)
        {
            Assert.Equal(parser.CallStart(text[..length]), parser.CallStart(text.AsSpan(0, length), scan));
        }
    }
}
