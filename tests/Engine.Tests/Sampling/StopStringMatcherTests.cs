using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void Stop_string_spread_over_several_deltas_is_not_emitted()
    {
        var matcher = new StopStringMatcher(["<|end|>"]);

        string emitted = matcher.Push("Answer: 42<|") + matcher.Push("en") + matcher.Push("d|>tail");

        Assert.Equal("Answer: 42", emitted);
        Assert.True(matcher.IsStopped);
        Assert.Equal("<|end|>", matcher.MatchedStopString);
    }

    [Fact]
    public void Possible_start_of_a_stop_string_is_held_back()
    {
        var matcher = new StopStringMatcher(["STOP"]);

        Assert.Equal("one ", matcher.Push("one ST"));
        Assert.Equal(2, matcher.HeldBackLength);
    }

    [Fact]
    public void Held_back_text_is_released_once_it_cannot_be_a_stop_string()
    {
        var matcher = new StopStringMatcher(["STOP"]);
        matcher.Push("one ST");

        Assert.Equal("STAY", matcher.Push("AY"));
        Assert.False(matcher.IsStopped);
    }

    [Fact]
    public void Flush_releases_text_held_back_at_the_end()
    {
        var matcher = new StopStringMatcher(["STOP"]);
        matcher.Push("one STO");

        Assert.Equal("STO", matcher.Flush());
    }

    [Fact]
    public void Text_after_the_stop_string_in_the_same_delta_is_dropped()
    {
        var matcher = new StopStringMatcher(["\n\n"]);

        Assert.Equal("first paragraph", matcher.Push("first paragraph\n\nsecond"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Deltas_after_a_stop_emit_nothing()
    {
        var matcher = new StopStringMatcher(["x"]);
        matcher.Push("ax");

        Assert.Equal("", matcher.Push("more"));
    }

    [Fact]
    public void The_stop_string_completed_first_wins_however_the_text_is_split()
    {
        string[] stops = ["abcdef", "bcd"];
        var whole = new StopStringMatcher(stops);
        var split = new StopStringMatcher(stops);
        var byChar = new StopStringMatcher(stops);

        string fromWhole = whole.Push("xabcdefg");
        string fromSplit = split.Push("xabc") + split.Push("defg");
        string fromChars = string.Concat("xabcdefg".Select(c => byChar.Push(c.ToString())));

        Assert.Equal(("xa", "bcd"), (fromWhole, whole.MatchedStopString));
        Assert.Equal(("xa", "bcd"), (fromSplit, split.MatchedStopString));
        Assert.Equal(("xa", "bcd"), (fromChars, byChar.MatchedStopString));
    }

    [Fact]
    public void Among_stop_strings_ending_together_the_longest_wins()
    {
        var matcher = new StopStringMatcher(["end", "the end"]);

        Assert.Equal("That is ", matcher.Push("That is the end."));
        Assert.Equal("the end", matcher.MatchedStopString);
    }

    [Fact]
    public void Without_stop_strings_every_delta_passes_through()
    {
        var matcher = new StopStringMatcher([]);

        Assert.Equal("anything", matcher.Push("anything"));
        Assert.Equal(0, matcher.HeldBackLength);
    }

    [Fact]
    public void Empty_stop_string_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new StopStringMatcher(["ok", ""]));

        Assert.Contains("stop string 1 is empty", error.Message);
    }
}
