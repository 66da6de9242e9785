using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// Keeps one request's output a JSON object (OpenAI's <c>response_format: {"type": "json_object"}</c>): before each
/// pick, every token whose bytes cannot continue valid JSON from where the output stands is masked out, and end tokens
/// are allowed only once the object is closed — and then only they. The mask depends only on the
/// <see cref="JsonCursor"/> state, and outputs revisit few states (inside a string, after a comma at one depth), so
/// the masks of the last <see cref="CachedStates"/> states are kept as bit sets: a repeated state costs one pass that
/// applies the bits instead of trying every token's bytes (which at a 128k vocabulary takes milliseconds, on the
/// engine's step thread).
/// </summary>
public sealed class JsonOutputConstraint : IOutputConstraint
{
    /// <summary>States whose masks are kept (each a bit per vocabulary id: 16 KiB at 128k ids).</summary>
    public const int CachedStates = 16;

    private readonly DecodedTokenBytes _tokens;
    private readonly bool[] _isEnd;
    private readonly int[] _endTokens;
    private readonly JsonCursor[] _states = new JsonCursor[CachedStates];
    private readonly ulong[][] _masks = new ulong[CachedStates][];
    private readonly long[] _lastUse = new long[CachedStates];
    private int _cached;
    private long _clock;
    private JsonCursor _cursor;

    public JsonOutputConstraint(DecodedTokenBytes tokens, IEnumerable<int> endTokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(endTokenIds);
        _tokens = tokens;
        _endTokens = [.. endTokenIds.Distinct()];
        _isEnd = new bool[tokens.Count];
        foreach (var id in _endTokens.Where(id => (uint)id < (uint)_isEnd.Length))
        {
            _isEnd[id] = true;
        }
    }

    /// <summary>The output so far is a complete JSON object.</summary>
    public bool IsComplete => _cursor.IsComplete;

    /// <summary>Masks computed by trying every token (the rest came from the cache); for tests and diagnostics.</summary>
    public int MasksComputed { get; private set; }

    /// <summary>Sets the logit of every token that would break the JSON to negative infinity.</summary>
    public void Mask(Span<float> logits)
    {
        var bits = MaskFor(_cursor);
        var allowed = 0;
        for (var id = 0; id < logits.Length; id++)
        {
            // Ids past the tokenizer's (a padded embedding) decode to nothing and are never allowed.
            if (id < _tokens.Count && (bits[id >> 6] & (1UL << id)) != 0)
            {
                allowed += float.IsNegativeInfinity(logits[id]) ? 0 : 1;
            }
            else
            {
                logits[id] = float.NegativeInfinity;
            }
        }

        if (allowed == 0)
        {
            EndTokenFallback.Apply(logits, _endTokens);
        }
    }

    /// <summary>Moves past a token that joined the output (one <see cref="Mask"/> allowed, or any other).</summary>
    public void Advance(int tokenId)
    {
        if ((uint)tokenId < (uint)_tokens.Count && !_isEnd[tokenId])
        {
            _cursor.Feed(_tokens[tokenId]);
        }
    }

    /// <summary>The allowed-token bits of <paramref name="state"/>, from the cache or computed (evicting the least recently used).</summary>
    private ulong[] MaskFor(in JsonCursor state)
    {
        _clock++;
        for (var i = 0; i < _cached; i++)
        {
            if (_states[i].SameState(state))
            {
                _lastUse[i] = _clock;
                return _masks[i];
            }
        }

        var slot = _cached < CachedStates ? _cached++ : Array.IndexOf(_lastUse, _lastUse.Min());
        var bits = _masks[slot] ??= new ulong[(_tokens.Count + 63) / 64];
        Array.Clear(bits);
        for (var id = 0; id < _tokens.Count; id++)
        {
            if (Allows(state, id))
            {
                bits[id >> 6] |= 1UL << id;
            }
        }

        _states[slot] = state;
        _lastUse[slot] = _clock;
        MasksComputed++;
        return bits;
    }

    private bool Allows(in JsonCursor state, int id)
    {
        if (_isEnd[id])
        {
            return state.IsComplete;
        }

        var bytes = _tokens[id];
        if (bytes.IsEmpty || state.IsComplete)
        {
            return false;
        }

        var trial = state;
        return trial.Feed(bytes);
    }
}
