using System.Text;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>Structured output after reasoning: the constraint is in force only once the output has written &lt;/think&gt;.</summary>
public sealed class DeferredOutputConstraintTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(Path.Combine(RepoPaths.Golden("tiny-llama"), "tokenizer.json"));
    private static readonly DecodedTokenBytes Tokens = new(Tokenizer);
    private static readonly int[] EndTokens = [.. Tokenizer.EosTokenIds];
    private static readonly byte[] Marker = Encoding.UTF8.GetBytes("</think>");

    private static DeferredOutputConstraint Deferred() => new(new JsonOutputConstraint(Tokens, EndTokens), Tokens, Marker);

    private static int Masked(IOutputConstraint constraint)
    {
        var logits = new float[Tokens.Count];
        constraint.Mask(logits);
        return logits.Count(float.IsNegativeInfinity);
    }

    private static void Feed(IOutputConstraint constraint, string text)
    {
        foreach (var id in Tokenizer.Encode(text, addSpecialTokens: false, continuation: true))
        {
            constraint.Advance(id);
        }
    }

    [Fact]
    public void Reasoning_before_the_marker_is_unconstrained()
    {
        var constraint = Deferred();

        Feed(constraint, "Let me think: the answer is not {yet");

        Assert.False(constraint.Started);
        Assert.False(constraint.IsComplete);
        Assert.Equal(0, Masked(constraint));
    }

    [Fact]
    public void After_the_marker_the_inner_constraint_masks_and_completes()
    {
        var constraint = Deferred();
        Feed(constraint, "Let me think </thin k. Done.\n</think>");
        Assert.True(constraint.Started);
        Assert.True(Masked(constraint) > 0);

        Feed(constraint, "{\"a\": 1}");

        Assert.True(constraint.IsComplete);
        Assert.Equal(Tokens.Count - EndTokens.Length, Masked(constraint));
    }

    [Fact]
    public void A_marker_split_over_several_tokens_starts_the_constraint()
    {
        var ids = Tokenizer.Encode("</think>", addSpecialTokens: false, continuation: true);
        Assert.True(ids.Count > 1, "the golden tokenizer splits the marker");
        var constraint = Deferred();

        Feed(constraint, "<</think>");

        Assert.True(constraint.Started);
    }

    [Fact]
    public void A_marker_whose_first_byte_recurs_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new DeferredOutputConstraint(new JsonOutputConstraint(Tokens, EndTokens), Tokens, Encoding.UTF8.GetBytes("abca")));
    }

    private static DeferredOutputConstraint MayOpen() => new(new JsonOutputConstraint(Tokens, EndTokens), Tokens, Marker, Encoding.UTF8.GetBytes("<think>"));

    private static int Id(string text) => Assert.Single(Tokenizer.Encode(text, addSpecialTokens: false, continuation: true));

    private static bool Allowed(IOutputConstraint constraint, int id)
    {
        var logits = new float[Tokens.Count];
        constraint.Mask(logits);
        return !float.IsNegativeInfinity(logits[id]);
    }

    [Fact]
    public void A_reply_that_may_open_its_reasoning_may_start_with_the_opening_or_with_json_but_not_with_other_text()
    {
        var constraint = MayOpen();

        Assert.True(Allowed(constraint, Id("<")));
        Assert.True(Allowed(constraint, Id("{")));
        Assert.False(Allowed(constraint, Id("x")));
        Assert.False(Allowed(constraint, EndTokens[0]));
    }

    [Fact]
    public void Once_part_of_the_opening_came_only_the_opening_may_continue()
    {
        var constraint = MayOpen();

        Feed(constraint, "\n<");

        var logits = new float[Tokens.Count];
        constraint.Mask(logits);
        var allowed = Enumerable.Range(0, Tokens.Count).Where(i => !float.IsNegativeInfinity(logits[i])).Select(i => Encoding.UTF8.GetString(Tokens[i])).ToList();
        Assert.NotEmpty(allowed);
        Assert.All(allowed, text => Assert.True(text.Length > 0 && ("think>".StartsWith(text, StringComparison.Ordinal) || text.StartsWith("think>", StringComparison.Ordinal)), text));
    }

    [Fact]
    public void A_reply_that_opens_its_reasoning_is_free_until_the_marker_and_constrained_after_it()
    {
        var constraint = MayOpen();

        Feed(constraint, " <think>\nHello, I think.");
        Assert.False(constraint.Started);
        Assert.Equal(0, Masked(constraint));

        Feed(constraint, "</think>\n\n");
        Assert.True(constraint.Started);
        Assert.False(Allowed(constraint, Id("x")));
    }

    [Fact]
    public void White_space_before_the_reply_decides_stays_within_the_inner_constraints_limit()
    {
        // JsonCursor allows at most 48 bytes of white space in a run; the opening must not lift that cap.
        var constraint = MayOpen();
        var newline = Id("\n");

        for (var i = 0; i < 200 && Allowed(constraint, newline); i++)
        {
            constraint.Advance(newline);
        }

        Assert.False(Allowed(constraint, newline));
        Assert.True(Allowed(constraint, Id("<")));
        Assert.True(Allowed(constraint, Id("{")));
    }

    [Fact]
    public void A_reply_that_answers_at_once_is_constrained_from_its_first_token()
    {
        var constraint = MayOpen();

        Feed(constraint, "\n{\"a\": 1}");

        Assert.True(constraint.Started);
        Assert.True(constraint.IsComplete);
    }
}
