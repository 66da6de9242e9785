using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

// Number and string literals inside tags.
internal sealed partial class TemplateLexer
{
    private void LexNumber()
    {
        var start = _pos;
        var end = SkipDigits(start);
        var afterDot = _tokens.Count > 0 && _tokens[^1].IsOperator(".");
        var isFloat = false;
        if (!afterDot && end + 1 < _src.Length && _src[end] == '.' && char.IsAsciiDigit(_src[end + 1]))
        {
            end = SkipDigits(end + 1);
            isFloat = true;
        }

        if (!afterDot && end < _src.Length && _src[end] is 'e' or 'E')
        {
            var e = end + 1;
            if (e < _src.Length && _src[e] is '+' or '-')
            {
                e++;
            }

            if (e < _src.Length && char.IsAsciiDigit(_src[e]))
            {
                end = SkipDigits(e);
                isFloat = true;
            }
        }

        var text = _src[start..end].Replace("_", "", StringComparison.Ordinal);
        _tokens.Add(new TemplateToken(isFloat ? TokenKind.Float : TokenKind.Integer, text, _line));
        Advance(end);
    }

    private int SkipDigits(int i)
    {
        while (i < _src.Length && (char.IsAsciiDigit(_src[i]) || (_src[i] == '_' && i + 1 < _src.Length && char.IsAsciiDigit(_src[i + 1]))))
        {
            i++;
        }

        return i;
    }

    /// <summary>A quoted literal, unescaped like Python's unicode-escape codec (which jinja2 applies to string tokens).</summary>
    private void LexString(char quote)
    {
        var line = _line;
        var sb = new StringBuilder();
        var i = _pos + 1;
        while (true)
        {
            if (i >= _src.Length)
            {
                throw new TemplateException("unterminated string literal", line);
            }

            var c = _src[i];
            if (c == quote)
            {
                break;
            }

            if (c != '\\' || i + 1 >= _src.Length)
            {
                sb.Append(c);
                i++;
                continue;
            }

            i = AppendEscape(sb, i + 1);
        }

        _tokens.Add(new TemplateToken(TokenKind.String, sb.ToString(), line));
        Advance(i + 1);
    }

    private int AppendEscape(StringBuilder sb, int i)
    {
        var e = _src[i];
        switch (e)
        {
            case '\n': return i + 1;
            case '\\': sb.Append('\\'); return i + 1;
            case '\'': sb.Append('\''); return i + 1;
            case '"': sb.Append('"'); return i + 1;
            case 'n': sb.Append('\n'); return i + 1;
            case 't': sb.Append('\t'); return i + 1;
            case 'r': sb.Append('\r'); return i + 1;
            case 'b': sb.Append('\b'); return i + 1;
            case 'f': sb.Append('\f'); return i + 1;
            case 'v': sb.Append('\v'); return i + 1;
            case 'a': sb.Append('\a'); return i + 1;
            case 'x': return AppendHexEscape(sb, i, 2);
            case 'u': return AppendHexEscape(sb, i, 4);
            case 'U': return AppendHexEscape(sb, i, 8);
        }

        if (e is >= '0' and <= '7')
        {
            var end = i;
            while (end < _src.Length && end < i + 3 && _src[end] is >= '0' and <= '7')
            {
                end++;
            }

            sb.Append((char)Convert.ToInt32(_src[i..end], 8));
            return end;
        }

        sb.Append('\\').Append(e); // Python keeps unknown escapes verbatim
        return i + 1;
    }

    private int AppendHexEscape(StringBuilder sb, int i, int digits)
    {
        if (i + digits >= _src.Length || !int.TryParse(_src.AsSpan(i + 1, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
        {
            throw new TemplateException($"truncated \\{_src[i]} escape in a string literal", _line);
        }

        sb.Append(char.ConvertFromUtf32(code));
        return i + 1 + digits;
    }
}
