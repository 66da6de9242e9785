using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// An output constraint that starts only once the output has produced a marker — the <c>&lt;/think&gt;</c> that ends
/// a reasoning model's reasoning — as vLLM applies structured output only after the reasoning: tokens up to and
/// including the marker are free, the inner constraint governs every token after it. With an opening (<c>&lt;think&gt;</c>,
/// for a reply that must open its reasoning itself), the reply first either opens it — white space, then the opening —
/// or is constrained from its first token: while only white space has come, a token is allowed when it continues the
/// opening or the inner constraint allows it (white space feeds both); once part of the opening has come, only the
/// opening may continue. Markers are matched on the tokens' decoded bytes, so they may arrive as one added token or
/// split over several; bytes a token carries after the closing marker are not shown to the inner constraint (the marker
/// is an added token in the tokenizers that use it, so none follow it in practice). Each output byte is looked at once.
/// </summary>
public sealed class DeferredOutputConstraint : IOutputConstraint
{
    private readonly IOutputConstraint _inner;
    private readonly DecodedTokenBytes _tokens;
    private readonly byte[] _marker;
    private readonly byte[]? _opening;
    private Phase _phase;
    private int _matched;
    private int _openingMatched;
    private float[]? _innerLogits;

    /// <param name="marker">UTF-8 bytes whose first byte occurs nowhere else in them (true of <c>&lt;/think&gt;</c>), so a failed match restarts cleanly.</param>
    /// <param name="opening">UTF-8 bytes the reply may open its reasoning with; null when the reply starts inside it.</param>
    public DeferredOutputConstraint(IOutputConstraint inner, DecodedTokenBytes tokens, byte[] marker, byte[]? opening = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(marker.Length);
        if (Array.IndexOf(marker, marker[0], 1) >= 0)
        {
            throw new ArgumentException("the marker's first byte must not occur again in it", nameof(marker));
        }

        if (opening is { Length: 0 })
        {
            throw new ArgumentException("an opening must not be empty", nameof(opening));
        }

        _inner = inner;
        _tokens = tokens;
        _marker = marker;
        _opening = opening;
        _phase = opening is null ? Phase.Reasoning : Phase.Opening;
    }

    private enum Phase
    {
        /// <summary>Only white space and part of the opening so far: the reply may still open its reasoning.</summary>
        Opening,

        /// <summary>Inside the reasoning: free until the marker.</summary>
        Reasoning,

        /// <summary>The inner constraint is in force.</summary>
        Constrained,
    }

    /// <summary>Whether the inner constraint is in force (the marker appeared, or the reply did not open its reasoning).</summary>
    public bool Started => _phase == Phase.Constrained;

    public bool IsComplete => Started && _inner.IsComplete;

    public void Mask(Span<float> logits)
    {
        if (_phase == Phase.Constrained)
        {
            _inner.Mask(logits);
        }
        else if (_phase == Phase.Opening)
        {
            MaskOpening(logits);
        }
    }

    public void Advance(int tokenId)
    {
        if (_phase == Phase.Constrained)
        {
            _inner.Advance(tokenId);
            return;
        }

        if ((uint)tokenId >= (uint)_tokens.Count)
        {
            return;
        }

        var bytes = _tokens[tokenId];
        if (_phase == Phase.Opening)
        {
            var opened = Opens(bytes, _openingMatched, out var matched, out var rest);
            if (opened is null)
            {
                // Neither white space nor the opening: the reply answers at once, under the constraint.
                _phase = Phase.Constrained;
                _inner.Advance(tokenId);
                return;
            }

            if (matched == 0)
            {
                _inner.Advance(tokenId); // white space only: JSON allows it too, so the inner constraint keeps up
            }

            _openingMatched = matched;
            if (opened == false)
            {
                return;
            }

            _phase = Phase.Reasoning;
            bytes = bytes[rest..];
        }

        foreach (var b in bytes)
        {
            _matched = b == _marker[_matched] ? _matched + 1 : b == _marker[0] ? 1 : 0;
            if (_matched == _marker.Length)
            {
                _phase = Phase.Constrained;
                return;
            }
        }
    }

    /// <summary>
    /// Reading <paramref name="bytes"/> from <paramref name="from"/> bytes of the opening matched: true when they complete
    /// the opening (<paramref name="rest"/>: where the reasoning after it starts), false when they keep to white space
    /// and a prefix of it (<paramref name="matched"/>: how much), null when they leave it (or are no text at all).
    /// </summary>
    private bool? Opens(ReadOnlySpan<byte> bytes, int from, out int matched, out int rest)
    {
        var opening = _opening!;
        matched = from;
        rest = 0;
        if (bytes.IsEmpty)
        {
            return null;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (matched == 0 && bytes[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                continue;
            }

            if (bytes[i] != opening[matched])
            {
                return null;
            }

            if (++matched == opening.Length)
            {
                rest = i + 1;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Before the reply has decided: tokens that advance the opening, and (while only white space came) those the inner
    /// constraint allows. White space alone does not advance the opening, so it stays under the inner constraint's own
    /// limit (JSON cursors cap runs of white space); otherwise a reply could pad with white space forever, or past a
    /// schema cursor's cap that then leaves no token allowed.
    /// </summary>
    private void MaskOpening(Span<float> logits)
    {
        Span<float> inner = default;
        if (_openingMatched == 0)
        {
            inner = _innerLogits ??= new float[logits.Length];
            logits.CopyTo(inner);
            _inner.Mask(inner);
        }

        for (var id = 0; id < logits.Length; id++)
        {
            var innerAllows = !inner.IsEmpty && !float.IsNegativeInfinity(inner[id]);
            if (!innerAllows && !float.IsNegativeInfinity(logits[id]) && !AdvancesOpening(id))
            {
                logits[id] = float.NegativeInfinity;
            }
        }
    }

    private bool AdvancesOpening(int id) =>
        id < _tokens.Count && Opens(_tokens[id], _openingMatched, out var matched, out _) is { } opened && (opened || matched > _openingMatched);
}
