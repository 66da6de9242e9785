namespace InferMesh.Engine.Sampling;

/// <summary>
/// Restricts which tokens a <see cref="TokenSampler"/> may pick so that the output keeps a required form (OpenAI's
/// <c>response_format</c>). Per sequence, stateful, not thread-safe.
/// </summary>
public interface IOutputConstraint
{
    /// <summary>The output so far is finished: only end tokens may follow.</summary>
    bool IsComplete { get; }

    /// <summary>Sets the logit of every token that would break the form to negative infinity.</summary>
    void Mask(Span<float> logits);

    /// <summary>Moves past a token that joined the output.</summary>
    void Advance(int tokenId);
}
