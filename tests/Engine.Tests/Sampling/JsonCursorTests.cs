using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

public sealed class JsonCursorTests
{
    [Theory]
    [InlineData("{}")]
    [InlineData(" \n{ }")]
    [InlineData("{\"a\": 1}")]
    [InlineData("{\"a\":-0.5e+10,\"b\":[1,2.25,3E2,-7,0],\"c\":{\"d\":null,\"e\":true,\"f\":false}}")]
    [InlineData("{\"esc\": \"quote \\\" slash \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9\\uD83D\\uDE00\"}")]
    [InlineData("{\"utf8\": \"héllo — 世界 😀\"}")]
    [InlineData("{\"nested\": [[[]], {}, [{\"x\": []}]]}")]
    [InlineData("{\n  \"pretty\": [\n    1,\n    2\n  ]\n}")]
    public void Valid_objects_are_accepted_byte_by_byte_and_end_complete(string json)
    {
        var cursor = new JsonCursor();
        var bytes = Encoding.UTF8.GetBytes(json);
        for (var i = 0; i < bytes.Length; i++)
        {
            Assert.False(cursor.IsComplete, $"complete before byte {i} of {json}");
            Assert.True(cursor.Feed(bytes[i]), $"byte {i} ('{(char)bytes[i]}') of {json} refused");
        }

        Assert.True(cursor.IsComplete);
    }

    [Theory]
    [InlineData("[1]")]                 // the top level must be an object
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("{'a': 1}")]            // single quotes
    [InlineData("{a: 1}")]              // bare key
    [InlineData("{\"a\" 1}")]           // no colon
    [InlineData("{\"a\": 1,}")]         // trailing comma
    [InlineData("{\"a\": [1,]}")]
    [InlineData("{\"a\": 01}")]         // leading zero
    [InlineData("{\"a\": 1.}")]         // no fraction digits
    [InlineData("{\"a\": -}")]
    [InlineData("{\"a\": 1e}")]
    [InlineData("{\"a\": tru}")]
    [InlineData("{\"a\": nul1}")]
    [InlineData("{\"a\": \"tab\there\"}")]  // control character in a string
    [InlineData("{\"a\": \"\\x\"}")]    // bad escape
    [InlineData("{\"a\": \"\\u12G4\"}")]
    [InlineData("{\"a\": 1]")]          // wrong closer
    [InlineData("{} {}")]               // anything after the object
    [InlineData("{}x")]
    public void Invalid_text_is_refused_at_the_first_wrong_byte(string text)
    {
        var cursor = new JsonCursor();
        Assert.False(cursor.Feed(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Every_prefix_of_serialized_random_objects_is_accepted()
    {
        var random = new Random(5);
        for (var n = 0; n < 200; n++)
        {
            var json = RandomObject(random, 0).ToJsonString(new JsonSerializerOptions { WriteIndented = n % 2 == 0 });
            var cursor = new JsonCursor();
            Assert.True(cursor.Feed(Encoding.UTF8.GetBytes(json)), json);
            Assert.True(cursor.IsComplete, json);
        }
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        var cursor = new JsonCursor();
        Assert.True(cursor.Feed("{\"a\":"u8));
        for (var depth = 1; depth < JsonCursor.MaxDepth; depth++)
        {
            Assert.True(cursor.Feed((byte)'['), $"depth {depth + 1}");
        }

        Assert.False(cursor.Feed((byte)'['));
    }

    [Fact]
    public void Whitespace_runs_longer_than_the_limit_are_refused()
    {
        var cursor = new JsonCursor();
        Assert.True(cursor.Feed((byte)'{'));
        for (var i = 0; i < JsonCursor.MaxWhitespaceRun; i++)
        {
            Assert.True(cursor.Feed((byte)' '));
        }

        Assert.False(cursor.Feed((byte)'\n'));
    }

    [Fact]
    public void A_failed_trial_on_a_copy_leaves_the_original_where_it_was()
    {
        var cursor = new JsonCursor();
        Assert.True(cursor.Feed("{\"a\":"u8));
        var trial = cursor;
        Assert.False(trial.Feed("]"u8));
        Assert.True(cursor.Feed("1}"u8));
        Assert.True(cursor.IsComplete);
    }

    private static JsonObject RandomObject(Random random, int depth)
    {
        var obj = new JsonObject();
        for (var i = random.Next(depth > 2 ? 1 : 4); i >= 0; i--)
        {
            obj[$"k{random.Next(100)}\"é\n"] = RandomValue(random, depth + 1);
        }

        return obj;
    }

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 3 ? 5 : 7) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 => random.Next(-1000, 1000),
        3 => random.NextDouble() * Math.Pow(10, random.Next(-30, 30)) * (random.Next(2) == 0 ? -1 : 1),
        4 => new string((char)random.Next(0x20, 0x7f), random.Next(4)) + "\\\t\u20ac😀",
        5 => RandomObject(random, depth),
        _ => new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1))]),
    };
}
