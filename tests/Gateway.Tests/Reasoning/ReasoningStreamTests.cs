using InferMesh.Contracts;
using InferMesh.Gateway.Responses;

namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>Logprobs of a streamed reasoning reply travel with the part their tokens produced.</summary>
public sealed class ReasoningStreamTests
{
    private static TokenLogprobInfo Logprob(string token) => new(token, -0.5f, [], []);

    [Fact]
    public void Reasoning_tokens_logprobs_go_with_the_reasoning_and_the_answers_with_the_content()
    {
        var stream = new ReasoningStream(ReplyReasoning.MayOpenWithTag);

        var open = stream.Add("<think>", Logprob("<think>"), last: false);
        var thought = stream.Add("\nR", Logprob("\nR"), last: false);
        var close = stream.Add("\n</think>", Logprob("\n</think>"), last: false);
        var answer = stream.Add("\n\nC", Logprob("\n\nC"), last: true);

        Assert.Equal(("", 0, "", 0), (open.Reasoning, open.ReasoningLogprobs.Count, open.Content, open.ContentLogprobs.Count));
        Assert.Equal("R", thought.Reasoning);
        Assert.Equal(["<think>", "\nR"], thought.ReasoningLogprobs.Select(l => l.Token));
        Assert.Equal("C", answer.Content);
        Assert.Equal(["\n</think>", "\n\nC"], answer.ContentLogprobs.Select(l => l.Token));
        Assert.Empty(close.ReasoningLogprobs);
    }
}
