using System.Text;

namespace InferMesh.Contracts.Reasoning;

/// <summary>
/// Splits one reply, piece by piece as it streams, into reasoning (inside <c>&lt;think&gt; … &lt;/think&gt;</c>) and
/// content (after it), the tags themselves dropped. Newlines that open the reasoning, close it and open the content
/// after it are dropped too, exactly as Qwen3's chat template strips them when it reads a reply back, so a client
/// that resends the two parts renders what the raw reply rendered. A tag may arrive split across pieces: text that may
/// still become a tag (and newlines that may still be trailing) is held back until the next piece decides. Each
/// character is looked at most twice (again after a failed tag match). A reply that is whole reads the same through <see cref="Split"/>.
/// </summary>
public sealed class ReasoningSplitter
{
    private const string Open = ReasoningFormats.OpenTag;
    private const string Close = ReasoningFormats.CloseTag;

    private readonly StringBuilder _held = new();
    private readonly StringBuilder _reasoning = new();
    private readonly StringBuilder _content = new();
    private readonly bool _leadingFallsToReasoning;
    private Phase _phase;
    private int _matched;
    private bool _skipNewlines;

    public ReasoningSplitter(ReplyReasoning start)
    {
        _phase = start switch
        {
            ReplyReasoning.StartsInside => Phase.Reasoning,
            ReplyReasoning.MayOpenWithTag or ReplyReasoning.ReasonsWithOptionalTag => Phase.Leading,
            _ => Phase.Content,
        };
        _leadingFallsToReasoning = start == ReplyReasoning.ReasonsWithOptionalTag;
        _skipNewlines = _phase == Phase.Reasoning;
        Reasoned = _phase == Phase.Reasoning;
    }

    private enum Phase
    {
        /// <summary>Only white space so far, or part of an opening tag: the reply may still open a think block.</summary>
        Leading,
        Reasoning,
        Content,
    }

    /// <summary>Whether the reply has entered reasoning (the prompt opened it, or the reply opened it).</summary>
    public bool Reasoned { get; private set; }

    /// <summary>Whether the reasoning has ended (or never began): what follows is content.</summary>
    public bool InContent => _phase == Phase.Content;

    /// <summary>A whole reply's reasoning (null when it has none, or only white space) and content.</summary>
    public static (string? Reasoning, string Content) Split(string reply, ReplyReasoning start)
    {
        var splitter = new ReasoningSplitter(start);
        splitter.Add(reply);
        splitter.Finish();
        var reasoning = splitter.TakeReasoning();
        return (reasoning.Length > 0 ? reasoning : null, splitter.TakeContent());
    }

    /// <summary>Reads the next piece of the reply; take what it released with <see cref="TakeReasoning"/> and <see cref="TakeContent"/>.</summary>
    public void Add(ReadOnlySpan<char> piece)
    {
        var at = 0;
        while (at < piece.Length)
        {
            switch (_phase)
            {
                case Phase.Content:
                    at = AddContent(piece, at);
                    break;
                case Phase.Reasoning:
                    at = AddReasoning(piece, at);
                    break;
                default:
                    AddLeading(piece[at++]);
                    break;
            }
        }
    }

    /// <summary>The reply ended: what was held back is released (a tag that never completed is text; trailing reasoning newlines are dropped).</summary>
    public void Finish()
    {
        if (_phase == Phase.Leading)
        {
            (_leadingFallsToReasoning ? _reasoning : _content).Append(_leadingFallsToReasoning ? _held.ToString().TrimStart('\n') : _held.ToString());
        }
        else if (_phase == Phase.Reasoning && _matched > 0)
        {
            _reasoning.Append(_held);
        }

        _held.Clear();
        _matched = 0;
    }

    /// <summary>Reasoning released since the last call.</summary>
    public string TakeReasoning() => Take(_reasoning);

    /// <summary>Content released since the last call.</summary>
    public string TakeContent() => Take(_content);

    private static string Take(StringBuilder text)
    {
        if (text.Length == 0)
        {
            return "";
        }

        var s = text.ToString();
        text.Clear();
        return s;
    }

    private void AddLeading(char c)
    {
        if (_matched == 0 && char.IsWhiteSpace(c))
        {
            _held.Append(c);
        }
        else if (c == Open[_matched])
        {
            _held.Append(c);
            if (++_matched == Open.Length)
            {
                _held.Clear();
                _matched = 0;
                _phase = Phase.Reasoning;
                _skipNewlines = true;
                Reasoned = true;
            }
        }
        else if (_leadingFallsToReasoning)
        {
            // DeepSeek-R1 left the tag out: the reply is reasoning from its start, read again as such.
            var replay = _held.Append(c).ToString();
            _held.Clear();
            _matched = 0;
            _phase = Phase.Reasoning;
            _skipNewlines = true;
            Reasoned = true;
            Add(replay);
        }
        else
        {
            // No think block: the reply is content as it came, white space included.
            _content.Append(_held).Append(c);
            _held.Clear();
            _matched = 0;
            _phase = Phase.Content;
        }
    }

    private int AddContent(ReadOnlySpan<char> piece, int at)
    {
        if (_skipNewlines)
        {
            while (at < piece.Length && piece[at] == '\n')
            {
                at++;
            }

            if (at == piece.Length)
            {
                return at;
            }

            _skipNewlines = false;
        }

        _content.Append(piece[at..]);
        return piece.Length;
    }

    private int AddReasoning(ReadOnlySpan<char> piece, int at)
    {
        if (_skipNewlines)
        {
            while (at < piece.Length && piece[at] == '\n')
            {
                at++;
            }

            if (at == piece.Length)
            {
                return at;
            }

            _skipNewlines = false;
        }

        // Plain text up to the next character that may start a held run ('\n' or the tag's '<') goes out at once.
        if (_held.Length == 0)
        {
            var plain = piece[at..].IndexOfAny('\n', '<');
            var end = plain < 0 ? piece.Length : at + plain;
            _reasoning.Append(piece[at..end]);
            at = end;
            if (at == piece.Length)
            {
                return at;
            }
        }

        var c = piece[at];
        if (c == Close[_matched])
        {
            _held.Append(c);
            if (++_matched == Close.Length)
            {
                // Held newlines before the tag trail the reasoning: dropped with the tag.
                _held.Clear();
                _matched = 0;
                _phase = Phase.Content;
                _skipNewlines = true;
            }

            return at + 1;
        }

        if (_matched > 0)
        {
            // Not the tag after all. The tag's '<' occurs only at its start, so nothing held can begin another match.
            _reasoning.Append(_held);
            _held.Clear();
            _matched = 0;
            return at; // c is looked at again from no match
        }

        if (c == '\n')
        {
            _held.Append(c);
        }
        else
        {
            _reasoning.Append(_held).Append(c);
            _held.Clear();
        }

        return at + 1;
    }
}
