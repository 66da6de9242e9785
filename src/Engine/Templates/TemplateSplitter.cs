using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Splits template source into text, <c>{{ }}</c> and <c>{% %}</c> segments, dropping comments and applying Jinja's
/// whitespace control: <c>-</c> markers strip whitespace on their side, and, as transformers renders chat templates,
/// trim_blocks (the first newline after a block tag is removed) and lstrip_blocks (spaces and tabs before a block tag
/// at the start of a line are removed; <c>{%+</c> opts out).
/// </summary>
internal static class TemplateSplitter
{
    public static List<TemplateSegment> Split(string source)
    {
        var segments = new List<TemplateSegment>();
        var text = new StringBuilder();
        var i = 0;
        var line = 1;
        var textLine = 1;
        var stripNextLeading = false;
        var trimNextNewline = false;
        while (i < source.Length)
        {
            var open = NextTag(source, i);
            if (open < 0)
            {
                AppendText(source.AsSpan(i), ref stripNextLeading, ref trimNextNewline, text);
                break;
            }

            AppendText(source.AsSpan(i, open - i), ref stripNextLeading, ref trimNextNewline, text);
            line += CountLines(source, i, open);
            var kind = source[open + 1];
            var close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            var end = source.IndexOf(close, open + 2, StringComparison.Ordinal);
            if (kind == '%' && source.AsSpan(open + 2).TrimStart(['-', '+', ' ']).StartsWith("raw"))
            {
                // {% raw %} ... {% endraw %}: everything in between is text.
                var rawEnd = RawEnd(source, end + 2, out var afterRaw);
                Flush(segments, text, textLine, ref textLine, line);
                var rawText = source[(end + 2)..rawEnd];
                segments.Add(new TemplateSegment(TemplateSegmentKind.Text, rawText, line));
                line += CountLines(source, open, afterRaw);
                i = afterRaw;
                textLine = line;
                continue;
            }

            if (end < 0)
            {
                throw new TemplateException($"unclosed '{{{kind}': no matching '{close}'", line);
            }

            var inner = source.Substring(open + 2, end - open - 2);
            var stripBefore = inner.StartsWith('-');
            var keepBefore = inner.StartsWith('+');
            var stripAfter = inner.EndsWith('-');
            inner = inner.Trim('-', '+').Trim();
            if (stripBefore)
            {
                TrimEnd(text, all: true);
            }
            else if (kind != '{' && !keepBefore)
            {
                LstripBlock(text);
            }

            Flush(segments, text, textLine, ref textLine, line);
            if (kind == '{')
            {
                segments.Add(new TemplateSegment(TemplateSegmentKind.Output, inner, line));
            }
            else if (kind == '%')
            {
                segments.Add(new TemplateSegment(TemplateSegmentKind.Statement, inner, line));
            }

            line += CountLines(source, open, end + 2);
            textLine = line;
            stripNextLeading = stripAfter;
            trimNextNewline = kind != '{' && !stripAfter;
            i = end + 2;
        }

        Flush(segments, text, textLine, ref textLine, line);
        return segments;
    }

    private static int NextTag(string s, int from)
    {
        for (var i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
        {
            if (s[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    private static int RawEnd(string s, int from, out int after)
    {
        var i = from;
        while (true)
        {
            var open = s.IndexOf("{%", i, StringComparison.Ordinal);
            if (open < 0)
            {
                throw new TemplateException("unclosed {% raw %}", 1);
            }

            var close = s.IndexOf("%}", open, StringComparison.Ordinal);
            if (s[(open + 2)..close].Trim('-', '+', ' ') == "endraw")
            {
                after = close + 2;
                return open;
            }

            i = close;
        }
    }

    private static void AppendText(ReadOnlySpan<char> raw, ref bool stripLeading, ref bool trimNewline, StringBuilder text)
    {
        if (stripLeading)
        {
            raw = raw.TrimStart();
        }
        else if (trimNewline)
        {
            if (raw.StartsWith("\r\n"))
            {
                raw = raw[2..];
            }
            else if (raw.StartsWith("\n"))
            {
                raw = raw[1..];
            }
        }

        stripLeading = trimNewline = false;
        text.Append(raw);
    }

    /// <summary>lstrip_blocks: spaces/tabs between the last newline (or start) and a block tag are removed.</summary>
    private static void LstripBlock(StringBuilder text)
    {
        var j = text.Length - 1;
        while (j >= 0 && text[j] is ' ' or '\t')
        {
            j--;
        }

        if (j < 0 || text[j] == '\n')
        {
            text.Length = j + 1;
        }
    }

    private static void TrimEnd(StringBuilder text, bool all)
    {
        var j = text.Length - 1;
        while (j >= 0 && char.IsWhiteSpace(text[j]))
        {
            j--;
        }

        text.Length = j + 1;
    }

    private static void Flush(List<TemplateSegment> segments, StringBuilder text, int startLine, ref int textLine, int line)
    {
        if (text.Length > 0)
        {
            segments.Add(new TemplateSegment(TemplateSegmentKind.Text, text.ToString(), startLine));
            text.Clear();
        }

        textLine = line;
    }

    private static int CountLines(string s, int from, int to)
    {
        var n = 0;
        for (var i = from; i < to && i < s.Length; i++)
        {
            if (s[i] == '\n')
            {
                n++;
            }
        }

        return n;
    }
}
