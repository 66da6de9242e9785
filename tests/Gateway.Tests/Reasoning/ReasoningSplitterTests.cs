using InferMesh.Contracts;
using InferMesh.Contracts.Reasoning;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>The reply split itself: tags dropped, the newlines around them dropped as Qwen3's template drops them, streamed pieces reading like the whole.</summary>
public sealed class ReasoningSplitterTests
{
    [Theory]
    [InlineData("<think>\nR\n</think>\n\nC", ReplyReasoning.MayOpenWithTag, "R", "C")]
    [InlineData("\n <think>R</think>C", ReplyReasoning.MayOpenWithTag, "R", "C")]
    [InlineData("R\n</think>\n\nC", ReplyReasoning.StartsInside, "R", "C")]
    [InlineData("<think>\nR\n</think>\n\nC", ReplyReasoning.StartsInside, "<think>\nR", "C")]
    [InlineData("R\n\nmore\n", ReplyReasoning.StartsInside, "R\n\nmore", "")]
    [InlineData("<think>\n\n</think>\n\nC", ReplyReasoning.MayOpenWithTag, null, "C")]
    [InlineData("C <think>R</think>", ReplyReasoning.MayOpenWithTag, null, "C <think>R</think>")]
    [InlineData("  <thin", ReplyReasoning.MayOpenWithTag, null, "  <thin")]
    [InlineData("<think>R</think>C", ReplyReasoning.None, null, "<think>R</think>C")]
    [InlineData("R </thinking> S</think>C\n", ReplyReasoning.StartsInside, "R </thinking> S", "C\n")]
    [InlineData("R<</think>C", ReplyReasoning.StartsInside, "R<", "C")]
    [InlineData("<think>\nTwo and two.\n</think>\n\n4", ReplyReasoning.ReasonsWithOptionalTag, "Two and two.", "4")]
    [InlineData("\n <think>R</think>C", ReplyReasoning.ReasonsWithOptionalTag, "R", "C")]
    [InlineData("\nTwo and two.\n</think>\n\n4", ReplyReasoning.ReasonsWithOptionalTag, "Two and two.", "4")]
    [InlineData("<th>R</think>C", ReplyReasoning.ReasonsWithOptionalTag, "<th>R", "C")]
    [InlineData("cut off thinking", ReplyReasoning.ReasonsWithOptionalTag, "cut off thinking", "")]
    public void A_whole_reply_splits_into_reasoning_and_content(string reply, ReplyReasoning start, string? reasoning, string content)
    {
        Assert.Equal((reasoning, content), ReasoningSplitter.Split(reply, start));
    }

    [Theory]
    [InlineData("<think>\nIs 2 < 3?\n\nYes </thin no\n</think>\n\n\nC <think> </think>", ReplyReasoning.MayOpenWithTag)]
    [InlineData("R<</think>\n<\n</think>x", ReplyReasoning.StartsInside)]
    [InlineData("\n\n<think><think>\n</think>", ReplyReasoning.MayOpenWithTag)]
    [InlineData("cut off in the tag </thi", ReplyReasoning.StartsInside)]
    [InlineData("\n<think>\nR <x>\n</think>\n\nC", ReplyReasoning.ReasonsWithOptionalTag)]
    [InlineData(" <thinking about it\n</think>C", ReplyReasoning.ReasonsWithOptionalTag)]
    [InlineData("  <thi", ReplyReasoning.ReasonsWithOptionalTag)]
    public void Streamed_in_pieces_of_any_length_a_reply_splits_as_it_does_whole(string reply, ReplyReasoning start)
    {
        var whole = ReasoningSplitter.Split(reply, start);
        for (var length = 1; length <= reply.Length; length++)
        {
            var splitter = new ReasoningSplitter(start);
            var (reasoning, content) = ("", "");
            for (var at = 0; at < reply.Length; at += length)
            {
                splitter.Add(reply.AsSpan(at, Math.Min(length, reply.Length - at)));
                reasoning += splitter.TakeReasoning();
                content += splitter.TakeContent();
            }

            splitter.Finish();
            reasoning += splitter.TakeReasoning();
            content += splitter.TakeContent();
            Assert.Equal(whole, (reasoning.Length > 0 ? reasoning : null, content));
        }
    }

    [Fact]
    public void Text_that_may_still_become_the_closing_tag_is_held_back_until_it_is_decided()
    {
        var splitter = new ReasoningSplitter(ReplyReasoning.StartsInside);

        splitter.Add("R\n</th");
        Assert.Equal("R", splitter.TakeReasoning());

        splitter.Add("ink>\n\nC");
        Assert.Equal("", splitter.TakeReasoning());
        Assert.Equal("C", splitter.TakeContent());
    }

    [Fact]
    public void A_held_prefix_that_turns_out_not_to_be_the_tag_is_released_as_reasoning()
    {
        var splitter = new ReasoningSplitter(ReplyReasoning.StartsInside);

        splitter.Add("a </th");
        Assert.Equal("a ", splitter.TakeReasoning());

        splitter.Add("ere");
        Assert.Equal("</there", splitter.TakeReasoning());
    }
}
