namespace InferMesh.Engine.Templates;

/// <summary>Builds the statement tree from segments; unknown or unclosed statements name their template line.</summary>
internal sealed class TemplateParser(List<TemplateSegment> segments)
{
    private int _pos;

    public static List<TemplateNode> Parse(string source)
    {
        var parser = new TemplateParser(TemplateSplitter.Split(source));
        var body = parser.ParseBody(out var end);
        if (end is not null)
        {
            throw new TemplateException($"'{{% {end.Content} %}}' has no matching opening statement", end.Line);
        }

        return body;
    }

    /// <summary>Parses until an end/else-like statement (returned in <paramref name="terminator"/>) or the end.</summary>
    private List<TemplateNode> ParseBody(out TemplateSegment? terminator, params string[] stops)
    {
        var nodes = new List<TemplateNode>();
        while (_pos < segments.Count)
        {
            var s = segments[_pos++];
            switch (s.Kind)
            {
                case TemplateSegmentKind.Text:
                    nodes.Add(new TextNode(s.Content, s.Line));
                    break;
                case TemplateSegmentKind.Output:
                    nodes.Add(new OutputNode(ExpressionParser.Parse(s.Content, s.Line), s.Line));
                    break;
                default:
                    var keyword = Keyword(s.Content);
                    if (stops.Contains(keyword))
                    {
                        terminator = s;
                        return nodes;
                    }

                    if (keyword.StartsWith("end", StringComparison.Ordinal) || keyword is "else" or "elif")
                    {
                        throw new TemplateException($"unexpected '{{% {keyword} %}}'", s.Line);
                    }

                    nodes.Add(ParseStatement(s, keyword));
                    break;
            }
        }

        if (stops.Length > 0)
        {
            throw new TemplateException($"missing '{{% {stops[^1]} %}}' before the end of the template", segments.Count > 0 ? segments[^1].Line : 1);
        }

        terminator = null;
        return nodes;
    }

    private TemplateNode ParseStatement(TemplateSegment s, string keyword)
    {
        var rest = s.Content[keyword.Length..].Trim();
        switch (keyword)
        {
            case "if":
                return ParseIf(s, rest);
            case "for":
                return ParseFor(s, rest);
            case "set":
                return ParseSet(s, rest);
            case "macro":
                return ParseMacro(s, rest);
            case "break" or "continue":
                return new LoopControlNode(keyword == "break", s.Line);
            case "generation":
                return new BlockNode(ParseBody(out _, "endgeneration"), s.Line);
            default:
                throw new TemplateException($"unsupported statement '{{% {keyword} %}}' (InferMesh renders if/elif/else, for, set, macro, break/continue, raw)", s.Line);
        }
    }

    private TemplateNode ParseIf(TemplateSegment s, string condition)
    {
        var branches = new List<(Expr, List<TemplateNode>)>();
        List<TemplateNode>? otherwise = null;
        var current = ExpressionParser.Parse(condition, s.Line);
        while (true)
        {
            var body = ParseBody(out var end, "elif", "else", "endif");
            branches.Add((current, body));
            var k = Keyword(end!.Content);
            if (k == "elif")
            {
                current = ExpressionParser.Parse(end.Content[4..], end.Line);
                continue;
            }

            if (k == "else")
            {
                otherwise = ParseBody(out _, "endif");
            }

            return new IfNode(branches, otherwise, s.Line);
        }
    }

    private TemplateNode ParseFor(TemplateSegment s, string rest)
    {
        var parser = new ExpressionParser(ExpressionLexer.Tokenize(rest, s.Line), s.Line);
        var targets = new List<string> { parser.ExpectName() };
        while (parser.Accept(","))
        {
            targets.Add(parser.ExpectName());
        }

        parser.Expect("in");
        var iterable = parser.ParseExpression(allowConditional: false);
        var filter = parser.Accept("if") ? parser.ParseExpression(allowConditional: false) : null;
        parser.Accept("recursive");
        parser.ExpectEnd();
        var body = ParseBody(out var end, "else", "endfor");
        var otherwise = Keyword(end!.Content) == "else" ? ParseBody(out _, "endfor") : null;
        return new ForNode(targets, iterable, filter, body, otherwise, s.Line);
    }

    private TemplateNode ParseSet(TemplateSegment s, string rest)
    {
        var eq = FindAssignment(rest);
        var target = (eq < 0 ? rest : rest[..eq]).Trim();
        string? attribute = null;
        if (target.Contains('.'))
        {
            attribute = target[(target.IndexOf('.') + 1)..].Trim();
            target = target[..target.IndexOf('.')].Trim();
        }

        if (eq < 0)
        {
            return new SetNode(target, attribute, null, ParseBody(out _, "endset"), s.Line);
        }

        return new SetNode(target, attribute, ExpressionParser.Parse(rest[(eq + 1)..], s.Line), null, s.Line);
    }

    private TemplateNode ParseMacro(TemplateSegment s, string rest)
    {
        var parser = new ExpressionParser(ExpressionLexer.Tokenize(rest, s.Line), s.Line);
        var name = parser.ExpectName();
        var parameters = new List<(string, Expr?)>();
        parser.Expect("(");
        while (!parser.Accept(")"))
        {
            var p = parser.ExpectName();
            parameters.Add((p, parser.Accept("=") ? parser.ParseExpression() : null));
            if (!parser.Accept(","))
            {
                parser.Expect(")");
                break;
            }
        }

        var body = ParseBody(out _, "endmacro");
        return new MacroNode(new Macro(name, parameters, body), s.Line);
    }

    /// <summary>Index of the assignment '=' (not part of ==, !=, <=, >=), or -1.</summary>
    private static int FindAssignment(string s)
    {
        var quote = '\0';
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '=' && (i + 1 >= s.Length || s[i + 1] != '=') && (i == 0 || s[i - 1] is not ('=' or '!' or '<' or '>')))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Keyword(string content)
    {
        var end = 0;
        while (end < content.Length && (char.IsLetter(content[end]) || content[end] == '_'))
        {
            end++;
        }

        return content[..end];
    }
}
