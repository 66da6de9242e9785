using System.Text;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Reads one reply for tool calls as it grows, one character at a time, in one model family's format: content is
/// released as soon as it cannot be a call, a call's header as soon as it surely is one (its function name is complete
/// and requested, and its arguments have begun), then its arguments text as the model writes it. A whole reply is
/// read the same way (<see cref="ToolCallParser.Parse"/>), so streamed and whole replies read alike by construction.
/// Once a header is out the call stands: what the model writes after it is its arguments (cut short or broken as
/// written) and never content. Each character is looked at a bounded number of times.
/// </summary>
public abstract class ToolCallReader
{
    private readonly List<ToolCallPiece> _pieces = [];
    private readonly StringBuilder _content = new();
    private readonly StringBuilder _arguments = new();
    private readonly IReadOnlyCollection<string>? _functions;
    private readonly Func<string> _newId;

    private protected ToolCallReader(IReadOnlyCollection<string>? functions, Func<string> newId)
    {
        _functions = functions;
        _newId = newId;
    }

    /// <summary>Calls whose header has been read so far.</summary>
    public int Calls { get; private set; }

    /// <summary>Characters looked at so far, counting those looked at again after a partial marker failed; linear in the reply.</summary>
    public long CharactersRead { get; private set; }

    /// <summary>Reads more of the reply.</summary>
    public void Add(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            Read(c);
        }

        FlushContent();
        FlushArguments(final: false);
    }

    /// <summary>The reply ended: what was held back is released (as content unless it is a call that stands).</summary>
    public void Finish()
    {
        End();
        FlushContent();
        FlushArguments(final: true);
    }

    /// <summary>The pieces read since the last take, in reply order.</summary>
    public IReadOnlyList<ToolCallPiece> TakePieces()
    {
        if (_pieces.Count == 0)
        {
            return [];
        }

        ToolCallPiece[] taken = [.. _pieces];
        _pieces.Clear();
        return taken;
    }

    /// <summary>Looks at one more character of the reply.</summary>
    private protected abstract void Read(char c);

    /// <summary>The reply ended: release what is held.</summary>
    private protected abstract void End();

    /// <summary>Counts a character as looked at (the format calls it once per look).</summary>
    private protected void Looked() => CharactersRead++;

    internal bool IsRequestedName(string name) => name.Length > 0 && (_functions is null || _functions.Contains(name));

    private protected void Content(char c)
    {
        FlushArguments(final: true);
        _content.Append(c);
    }

    private protected void Content(StringBuilder text)
    {
        if (text.Length > 0)
        {
            FlushArguments(final: true);
            _content.Append(text);
        }
    }

    private protected void Content(string text)
    {
        if (text.Length > 0)
        {
            FlushArguments(final: true);
            _content.Append(text);
        }
    }

    /// <summary>A call surely begins: its header goes out now.</summary>
    internal void BeginCall(string name)
    {
        FlushContent();
        FlushArguments(final: true);
        _pieces.Add(new ToolCallPiece(ToolCallPieceKind.Header, Calls, name, _newId()));
        Calls++;
    }

    internal void Argument(char c)
    {
        FlushContent();
        _arguments.Append(c);
    }

    internal void Arguments(StringBuilder text)
    {
        FlushContent();
        _arguments.Append(text);
    }

    private void FlushContent()
    {
        if (_content.Length > 0)
        {
            _pieces.Add(new ToolCallPiece(ToolCallPieceKind.Content, Calls - 1, _content.ToString()));
            _content.Clear();
        }
    }

    /// <summary>
    /// Sends the arguments read so far. A high surrogate at the end waits for its low half (unless <paramref name="final"/>);
    /// a surrogate without its other half becomes U+FFFD, since such text cannot be written as JSON.
    /// </summary>
    private void FlushArguments(bool final)
    {
        var length = _arguments.Length;
        if (!final && length > 0 && char.IsHighSurrogate(_arguments[length - 1]))
        {
            length--;
        }

        if (length == 0)
        {
            return;
        }

        var text = _arguments.ToString(0, length);
        _arguments.Remove(0, length);
        _pieces.Add(new ToolCallPiece(ToolCallPieceKind.Arguments, Calls - 1, ReplaceLoneSurrogates(text)));
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
