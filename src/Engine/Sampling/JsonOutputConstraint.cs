using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// Keeps one request's output a JSON object (OpenAI's <c>response_format: {"type": "json_object"}</c>, vLLM's guided
/// JSON): before each pick, every token whose bytes cannot continue valid JSON from where the output stands is masked
/// out, and end-of-sequence tokens are allowed only once the object is closed — and then only they are. Exact for
/// greedy and sampled decoding alike, since the mask is applied to the whole distribution; it costs one pass over the
/// vocabulary per token (a few bytes tried per id), on the host.
/// </summary>
public sealed class JsonOutputConstraint : IOutputConstraint
{
    private readonly DecodedTokenBytes _tokens;
    private readonly HashSet<int> _endTokens;
    private JsonCursor _cursor;

    public JsonOutputConstraint(DecodedTokenBytes tokens, IEnumerable<int> endTokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(endTokenIds);
        _tokens = tokens;
        _endTokens = [.. endTokenIds];
    }

    /// <summary>The output so far is a complete JSON object.</summary>
    public bool IsComplete => _cursor.IsComplete;

    /// <summary>Sets the logit of every token that would break the JSON to negative infinity.</summary>
    public void Mask(Span<float> logits)
    {
        var allowed = 0;
        for (var id = 0; id < logits.Length; id++)
        {
            if (float.IsNegativeInfinity(logits[id]))
            {
                continue;
            }

            if (Allows(id))
            {
                allowed++;
            }
            else
            {
                logits[id] = float.NegativeInfinity;
            }
        }

        if (allowed == 0)
        {
            // No token of this vocabulary continues the JSON (or all were banned): end rather than fail the request.
            foreach (var id in _endTokens)
            {
                if ((uint)id < (uint)logits.Length)
                {
                    logits[id] = 0f;
                }
            }
        }
    }

    /// <summary>Moves past a token that joined the output (one <see cref="Mask"/> allowed, or any other).</summary>
    public void Advance(int tokenId)
    {
        if (!_endTokens.Contains(tokenId) && (uint)tokenId < (uint)_tokens.Count)
        {
            _cursor.Feed(_tokens[tokenId]);
        }
    }

    private bool Allows(int id)
    {
        if (_endTokens.Contains(id))
        {
            return _cursor.IsComplete;
        }

        // Ids past the tokenizer's (a padded embedding) decode to nothing.
        var bytes = id < _tokens.Count ? _tokens[id] : default;
        if (bytes.IsEmpty || _cursor.IsComplete)
        {
            return false;
        }

        var trial = _cursor;
        return trial.Feed(bytes);
    }
}
