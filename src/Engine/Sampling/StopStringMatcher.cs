namespace InferMesh.Engine.Sampling;

/// <summary>
/// Watches a sequence's streamed text for stop strings. <see cref="Push"/> takes each text delta and returns the
/// text that is safe to emit now: it holds back the longest tail that could still grow into a stop string, and once a
/// stop string completes it emits only the text before it (the stop string and anything after are dropped, as in
/// OpenAI's API). The first stop string to complete in the character stream wins (longest of those completing at the
/// same character), so the result does not depend on how the text was split into deltas.
/// Call <see cref="Flush"/> when generation ends for another reason to release the held-back tail.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stopStrings;
    private string _held = "";

    public StopStringMatcher(IReadOnlyList<string> stopStrings)
    {
        ArgumentNullException.ThrowIfNull(stopStrings);
        _stopStrings = new string[stopStrings.Count];
        for (int i = 0; i < stopStrings.Count; i++)
        {
            if (string.IsNullOrEmpty(stopStrings[i]))
            {
                throw new ArgumentException($"stop string {i} is empty; remove it (an empty stop string would end every generation at once)", nameof(stopStrings));
            }

            _stopStrings[i] = stopStrings[i];
        }
    }

    /// <summary>True once a stop string has completed; later deltas are ignored.</summary>
    public bool IsStopped { get; private set; }

    /// <summary>The stop string that ended generation, or null.</summary>
    public string? MatchedStopString { get; private set; }

    /// <summary>Text held back because it could be the start of a stop string.</summary>
    public int HeldBackLength => _held.Length;

    /// <summary>Consumes one text delta; returns the text safe to emit now (possibly empty).</summary>
    public string Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (IsStopped)
        {
            return "";
        }

        if (_stopStrings.Length == 0)
        {
            return delta;
        }

        string text = _held.Length == 0 ? delta : string.Concat(_held, delta);
        int matchStart = -1;
        int matchEnd = int.MaxValue;
        foreach (string stop in _stopStrings)
        {
            int start = text.IndexOf(stop, StringComparison.Ordinal);
            int end = start + stop.Length;
            if (start >= 0 && (end < matchEnd || (end == matchEnd && start < matchStart)))
            {
                matchStart = start;
                matchEnd = end;
                MatchedStopString = stop;
            }
        }

        if (matchStart >= 0)
        {
            IsStopped = true;
            _held = "";
            return text[..matchStart];
        }

        int hold = LongestTailThatStartsAStopString(text);
        _held = hold == 0 ? "" : text[^hold..];
        return hold == 0 ? text : text[..^hold];
    }

    /// <summary>Releases the held-back text (nothing after a stop string matched).</summary>
    public string Flush()
    {
        string rest = _held;
        _held = "";
        return rest;
    }

    private int LongestTailThatStartsAStopString(ReadOnlySpan<char> text)
    {
        int longest = 0;
        foreach (string stop in _stopStrings)
        {
            for (int length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.EndsWith(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
