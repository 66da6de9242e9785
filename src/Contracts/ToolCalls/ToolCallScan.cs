namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// How far <see cref="ToolCallParser.CallStart(ReadOnlySpan{char}, ToolCallScan)"/> has got through one streamed
/// reply, so each call looks only at the text added since the last one (and a marker's length before it): scanning a
/// reply costs its length, not its length squared. One per reply, used with one parser.
/// </summary>
public sealed class ToolCallScan
{
    /// <summary>Characters looked at over all calls so far; tests check it grows linearly with the reply.</summary>
    public long CharactersScanned { get; private set; }

    /// <summary>Text before this index was looked at by earlier calls.</summary>
    internal int ScannedTo { get; private set; }

    /// <summary>The reply's first character that is not white space, once seen; -1 before.</summary>
    internal int FirstNonSpace { get; set; } = -1;

    /// <summary>Where a call began, once it surely has: the text is held from there to the end; -1 before.</summary>
    internal int CallAt { get; set; } = -1;

    /// <summary>The reply can no longer turn into a call (one that must open the reply did not).</summary>
    internal bool NoCall { get; set; }

    /// <summary>Records that <c>text[from..to]</c> was looked at.</summary>
    internal void Looked(int from, int to)
    {
        CharactersScanned += Math.Max(0, to - from);
        ScannedTo = Math.Max(ScannedTo, to);
    }
}
