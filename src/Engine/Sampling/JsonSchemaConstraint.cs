namespace InferMesh.Engine.Sampling;

/// <summary>
/// Keeps one request's output a JSON document valid against a schema (OpenAI's <c>response_format: {"type":
/// "json_schema"}</c>): before each pick, every token whose bytes cannot continue such a document is masked out, and end
/// tokens are allowed only once the document is whole (<see cref="JsonSchemaCursor.CanEnd"/>) — and only they once
/// nothing can extend it. The vocabulary is tested by walking the <see cref="TokenTrie"/> with one scratch cursor per
/// trie depth, so a refused byte drops a whole subtree and shared prefixes are read once. After the first step, a step
/// allocates nothing.
/// </summary>
public sealed class JsonSchemaConstraint : IOutputConstraint
{
    private readonly CompiledJsonSchema _schema;
    private readonly TokenTrie _trie;
    private readonly int[] _endTokens;
    private readonly bool[] _isEnd;
    private readonly bool[] _allowed;
    private readonly JsonSchemaCursor _cursor;
    private readonly JsonSchemaCursor?[] _scratch;

    public JsonSchemaConstraint(CompiledJsonSchema schema, TokenTrie trie, IEnumerable<int> endTokenIds)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(trie);
        ArgumentNullException.ThrowIfNull(endTokenIds);
        _schema = schema;
        _trie = trie;
        _allowed = new bool[trie.Tokens.Count];
        _isEnd = new bool[trie.Tokens.Count];
        _endTokens = [.. endTokenIds.Distinct()];
        foreach (var id in _endTokens.Where(id => (uint)id < (uint)_isEnd.Length))
        {
            _isEnd[id] = true;
        }

        _cursor = new JsonSchemaCursor(schema);
        _scratch = new JsonSchemaCursor?[trie.MaxDepth + 1];
    }

    /// <summary>The output is a whole document that nothing can extend.</summary>
    public bool IsComplete => _cursor.IsComplete;

    /// <summary>The output is a whole document (end tokens are allowed).</summary>
    public bool CanEnd => _cursor.CanEnd;

    public void Mask(Span<float> logits)
    {
        Array.Clear(_allowed);
        if (!_cursor.IsComplete)
        {
            Walk();
        }

        var canEnd = _cursor.CanEnd;
        foreach (var id in _endTokens)
        {
            if ((uint)id < (uint)_allowed.Length)
            {
                _allowed[id] = canEnd;
            }
        }

        var allowed = 0;
        for (var id = 0; id < logits.Length; id++)
        {
            if (float.IsNegativeInfinity(logits[id]))
            {
                continue;
            }

            // Ids past the tokenizer's (a padded embedding) decode to nothing and are never allowed.
            if (id < _allowed.Length && _allowed[id])
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
            EndTokenFallback.Apply(logits, _endTokens);
        }
    }

    public void Advance(int tokenId)
    {
        if ((uint)tokenId < (uint)_isEnd.Length && !_isEnd[tokenId])
        {
            _cursor.Feed(_trie.Tokens[tokenId]);
        }
    }

    /// <summary>Marks in <see cref="_allowed"/> every token the cursor accepts whole, walking the trie in pre-order.</summary>
    private void Walk()
    {
        var labels = _trie.Labels;
        var depths = _trie.Depths;
        var skip = _trie.Skip;
        var idStart = _trie.IdStart;
        var ids = _trie.Ids;
        var i = 0;
        while (i < labels.Length)
        {
            var depth = depths[i];
            var trial = _scratch[depth] ??= new JsonSchemaCursor(_schema);
            trial.CopyFrom(depth == 1 ? _cursor : _scratch[depth - 1]!);
            if (!trial.Feed(labels[i]))
            {
                i = skip[i];
                continue;
            }

            for (var k = idStart[i]; k < idStart[i + 1]; k++)
            {
                _allowed[ids[k]] = true;
            }

            i++;
        }
    }
}
