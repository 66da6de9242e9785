using System.Text.RegularExpressions;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Splits template source into text and tag tokens exactly as jinja2's lexer does under transformers' settings
/// (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, newlines normalised to \n):
/// https://github.com/pallets/jinja/blob/main/src/jinja2/lexer.py and
/// https://github.com/huggingface/transformers/blob/main/src/transformers/utils/chat_template_utils.py (_compile_jinja_template).
/// </summary>
internal sealed partial class TemplateLexer
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    private readonly string _src;
    private readonly List<TemplateToken> _tokens = [];
    private int _pos;
    private int _line = 1;

    // jinja2's line_starting: the previous match ended with a newline (or we are at the start), so lstrip_blocks may
    // strip the indentation before a block tag even when the text before it holds no newline.
    private bool _lineStarting = true;

    private TemplateLexer(string source) => _src = source;

    public static List<TemplateToken> Tokenize(string source)
    {
        var lexer = new TemplateLexer(NormalizeNewlines(source));
        lexer.Run();
        lexer._tokens.Add(new TemplateToken(TokenKind.EndOfTemplate, "", lexer._line));
        return lexer._tokens;
    }

    private static string NormalizeNewlines(string source)
    {
        var s = source.Contains('\r') ? source.Replace("\r\n", "\n").Replace('\r', '\n') : source;
        return s.EndsWith('\n') ? s[..^1] : s; // keep_trailing_newline=False drops one trailing newline
    }

    [GeneratedRegex(@"\G\{%[-+]?\s*raw\s*(?:-%\}\s*|%\})")]
    private static partial Regex RawBeginRegex();

    [GeneratedRegex(@"\{%([-+]?)\s*endraw\s*(?:\+%\}|-%\}\s*|%\}\n?)")]
    private static partial Regex RawEndRegex();

    private void Run()
    {
        while (_pos < _src.Length)
        {
            var tag = FindTagStart(_pos);
            if (tag < 0)
            {
                EmitText(_src[_pos..], '\0', isVariable: true);
                Advance(_src.Length);
                return;
            }

            var kind = _src[tag + 1];
            var afterOpen = tag + 2;
            var sign = afterOpen < _src.Length && _src[afterOpen] is '-' or '+' ? _src[afterOpen] : '\0';
            var text = _src[_pos..tag];
            var textLine = _line;
            Advance(tag);
            if (kind != '{' && RawBeginRegex().Match(_src, tag) is { Success: true } raw)
            {
                EmitText(text, sign, isVariable: false, textLine);
                LexRaw(raw);
                continue;
            }

            EmitText(text, sign, isVariable: kind == '{', textLine);
            var tagLine = _line;
            Advance(afterOpen + (sign == '\0' ? 0 : 1));
            switch (kind)
            {
                case '#':
                    LexComment(tagLine);
                    break;
                case '%':
                    _tokens.Add(new TemplateToken(TokenKind.BlockBegin, "{%", tagLine));
                    LexTagBody('%', tagLine);
                    break;
                default:
                    _tokens.Add(new TemplateToken(TokenKind.VariableBegin, "{{", tagLine));
                    LexTagBody('}', tagLine);
                    break;
            }
        }
    }

    private int FindTagStart(int from)
    {
        for (var i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
        {
            if (_src[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Emits the text before a tag after applying '-' (strip all whitespace) or lstrip_blocks (strip the line's indentation).</summary>
    private void EmitText(string text, char sign, bool isVariable, int line = -1)
    {
        if (sign == '-')
        {
            text = text.TrimEnd();
        }
        else if (sign != '+' && !isVariable)
        {
            var lineStart = text.LastIndexOf('\n') + 1;
            if ((lineStart > 0 || _lineStarting) && lineStart < text.Length && IsWhitespace(text, lineStart))
            {
                text = text[..lineStart];
            }
        }

        if (text.Length > 0)
        {
            _tokens.Add(new TemplateToken(TokenKind.Text, text, line < 0 ? _line : line));
        }

        _lineStarting = false;
    }

    private static bool IsWhitespace(string text, int from)
    {
        for (var i = from; i < text.Length; i++)
        {
            if (!char.IsWhiteSpace(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private void Advance(int to)
    {
        for (var i = _pos; i < to; i++)
        {
            if (_src[i] == '\n')
            {
                _line++;
            }
        }

        _pos = to;
    }

    private void LexRaw(Match begin)
    {
        var openLine = _line;
        Advance(begin.Index + begin.Length);
        _lineStarting = begin.Value.EndsWith('\n');
        var end = RawEndRegex().Match(_src, _pos);
        if (!end.Success)
        {
            throw new TemplateException("unclosed '{% raw %}' block: add '{% endraw %}'", openLine);
        }

        var bodyLine = _line;
        var body = _src[_pos..end.Index];
        Advance(end.Index);
        EmitText(body, end.Groups[1].Value is [var s] ? s : '\0', isVariable: false, bodyLine);
        Advance(end.Index + end.Length);
        _lineStarting = end.Value.EndsWith('\n');
    }

    private void LexComment(int openLine)
    {
        var close = _src.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (close < 0)
        {
            throw new TemplateException("unclosed comment '{#': add '#}'", openLine);
        }

        var modifier = close > _pos ? _src[close - 1] : '\0';
        FinishTag(close + 2, modifier == '-' ? '-' : modifier == '+' ? '+' : '\0', trimsNewline: true);
    }

    /// <summary>Consumes a tag's closing delimiter: '-' strips all following whitespace, otherwise trim_blocks eats one newline.</summary>
    private void FinishTag(int after, char modifier, bool trimsNewline)
    {
        var end = after;
        if (modifier == '-')
        {
            while (end < _src.Length && char.IsWhiteSpace(_src[end]))
            {
                end++;
            }
        }
        else if (modifier != '+' && trimsNewline && end < _src.Length && _src[end] == '\n')
        {
            end++;
        }

        Advance(end);
        _lineStarting = end > 0 && _src[end - 1] == '\n';
    }

    private void LexTagBody(char closeChar, int openLine)
    {
        var isBlock = closeChar == '%';
        var balance = 0;
        while (true)
        {
            while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos]))
            {
                Advance(_pos + 1);
            }

            if (_pos >= _src.Length)
            {
                var what = isBlock ? "'{%' is never closed with '%}'" : "'{{' is never closed with '}}'";
                throw new TemplateException(what, openLine);
            }

            if (balance == 0 && TryCloseTag(closeChar, isBlock))
            {
                return;
            }

            balance += LexExpressionToken(openLine, balance);
        }
    }

    private bool TryCloseTag(char closeChar, bool isBlock)
    {
        var c = _src[_pos];
        var next = _pos + 1 < _src.Length ? _src[_pos + 1] : '\0';
        var third = _pos + 2 < _src.Length ? _src[_pos + 2] : '\0';
        var endKind = isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd;
        if (c is '-' or '+' && next == closeChar && third == '}' && (c == '-' || isBlock))
        {
            _tokens.Add(new TemplateToken(endKind, "", _line));
            FinishTag(_pos + 3, c, trimsNewline: isBlock);
            return true;
        }

        if (c == closeChar && next == '}')
        {
            _tokens.Add(new TemplateToken(endKind, "", _line));
            FinishTag(_pos + 2, '\0', trimsNewline: isBlock);
            return true;
        }

        return false;
    }

    /// <summary>Lexes one expression token; returns the change in bracket depth.</summary>
    private int LexExpressionToken(int openLine, int balance)
    {
        var c = _src[_pos];
        var start = _pos;
        if (char.IsAsciiLetter(c) || c == '_')
        {
            var end = start + 1;
            while (end < _src.Length && (char.IsAsciiLetterOrDigit(_src[end]) || _src[end] == '_'))
            {
                end++;
            }

            _tokens.Add(new TemplateToken(TokenKind.Name, _src[start..end], _line));
            Advance(end);
            return 0;
        }

        if (char.IsAsciiDigit(c))
        {
            LexNumber();
            return 0;
        }

        if (c is '\'' or '"')
        {
            LexString(c);
            return 0;
        }

        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) == 0)
            {
                var delta = op switch { "(" or "[" or "{" => 1, ")" or "]" or "}" => -1, _ => 0 };
                if (balance + delta < 0)
                {
                    throw new TemplateException($"unexpected '{op}'", _line);
                }

                _tokens.Add(new TemplateToken(TokenKind.Operator, op, _line));
                Advance(_pos + op.Length);
                return delta;
            }
        }

        throw new TemplateException($"unexpected character '{c}' inside a tag opened on line {openLine}", _line);
    }
}
