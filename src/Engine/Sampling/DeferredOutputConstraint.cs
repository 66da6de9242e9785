using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// An output constraint that starts only once the output has produced a marker — the <c>&lt;/think&gt;</c> that ends
/// a reasoning model's reasoning — as vLLM applies structured output only after the reasoning: tokens up to and
/// including the marker are free, the inner constraint governs every token after it. The marker is matched on the
/// tokens' decoded bytes, so it may arrive as one added token or split over several; bytes a token carries after the
/// marker are not shown to the inner constraint (the marker is an added token in the tokenizers that use it, so none
/// follow it in practice). Each output byte is looked at once.
/// </summary>
public sealed class DeferredOutputConstraint : IOutputConstraint
{
    private readonly IOutputConstraint _inner;
    private readonly DecodedTokenBytes _tokens;
    private readonly byte[] _marker;
    private int _matched;

    /// <param name="marker">UTF-8 bytes whose first byte occurs nowhere else in them (true of <c>&lt;/think&gt;</c>), so a failed match restarts cleanly.</param>
    public DeferredOutputConstraint(IOutputConstraint inner, DecodedTokenBytes tokens, byte[] marker)
    {
        ArgumentOutOfRangeException.ThrowIfZero(marker.Length);
        if (Array.IndexOf(marker, marker[0], 1) >= 0)
        {
            throw new ArgumentException("the marker's first byte must not occur again in it", nameof(marker));
        }

        _inner = inner;
        _tokens = tokens;
        _marker = marker;
    }

    /// <summary>Whether the marker has appeared: the inner constraint is in force.</summary>
    public bool Started { get; private set; }

    public bool IsComplete => Started && _inner.IsComplete;

    public void Mask(Span<float> logits)
    {
        if (Started)
        {
            _inner.Mask(logits);
        }
    }

    public void Advance(int tokenId)
    {
        if (Started)
        {
            _inner.Advance(tokenId);
            return;
        }

        if ((uint)tokenId >= (uint)_tokens.Count)
        {
            return;
        }

        foreach (var b in _tokens[tokenId])
        {
            _matched = b == _marker[_matched] ? _matched + 1 : b == _marker[0] ? 1 : 0;
            if (_matched == _marker.Length)
            {
                Started = true;
                return;
            }
        }
    }
}
