namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Matches a marker (<c>&lt;tool_call&gt;</c>, <c>[TOOL_CALLS]</c>, …) a character at a time. The markers' first
/// character occurs nowhere else in them, so after a mismatch only the mismatching character can start a new match.
/// </summary>
internal struct MarkerMatch(string marker)
{
    /// <summary>Characters of the marker matched so far (held back by the reader).</summary>
    public int Matched { get; private set; }

    public readonly string Marker => marker;

    /// <summary>The matched part that turned out not to be the marker.</summary>
    public readonly ReadOnlySpan<char> Partial => marker.AsSpan(0, Matched);

    /// <summary>True when <paramref name="c"/> continues the match; false leaves <see cref="Partial"/> to release first, then <see cref="Reset"/>.</summary>
    public bool Continues(char c)
    {
        if (c == marker[Matched])
        {
            Matched++;
            return true;
        }

        return false;
    }

    public readonly bool Complete => Matched == marker.Length;

    public void Reset() => Matched = 0;
}
