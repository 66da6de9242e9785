namespace InferMesh.Engine.Templates;

/// <summary>
/// Recursive-descent parser for the jinja2 subset chat templates use; statements here, expressions in
/// TemplateParser.Expressions.cs (grammar and precedence follow https://github.com/pallets/jinja/blob/main/src/jinja2/parser.py).
/// </summary>
internal sealed partial class TemplateParser
{
    private readonly List<TemplateToken> _tokens;
    private int _pos;

    private TemplateParser(List<TemplateToken> tokens) => _tokens = tokens;

    public static TemplateNode[] Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var (body, _) = parser.ParseBody(null, 0);
        return body;
    }

    private TemplateToken Current => _tokens[_pos];

    private TemplateToken Peek(int ahead) => _tokens[Math.Min(_pos + ahead, _tokens.Count - 1)];

    private TemplateToken Next() => _tokens[_pos++];

    private static TemplateException Error(string message, int line) => new(message, line);

    private TemplateException Unexpected(string expected) =>
        Error($"expected {expected} but found {Current.Describe()}", Current.Line);

    private void ExpectOperator(string op)
    {
        if (!Current.IsOperator(op))
        {
            throw Unexpected($"'{op}'");
        }

        _pos++;
    }

    private string ExpectName(string what)
    {
        if (Current.Kind != TokenKind.Name)
        {
            throw Unexpected(what);
        }

        return Next().Value;
    }

    private void ExpectBlockEnd()
    {
        if (Current.Kind != TokenKind.BlockEnd)
        {
            throw Unexpected("'%}'");
        }

        _pos++;
    }

    /// <summary>Parses nodes until one of <paramref name="endTags"/> opens a block; returns that tag (its name consumed).</summary>
    private (TemplateNode[] Body, string EndTag) ParseBody(string[]? endTags, int openLine, string? opener = null)
    {
        var nodes = new List<TemplateNode>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    _pos++;
                    nodes.Add(new TextNode(token.Value, token.Line));
                    break;
                case TokenKind.VariableBegin:
                    _pos++;
                    var value = ParseTuple(withCondition: true);
                    if (Current.Kind != TokenKind.VariableEnd)
                    {
                        throw Unexpected("'}}'");
                    }

                    _pos++;
                    nodes.Add(new OutputNode(value, token.Line));
                    break;
                case TokenKind.BlockBegin:
                    var tag = Peek(1);
                    if (tag.Kind != TokenKind.Name)
                    {
                        _pos++;
                        throw Unexpected("a tag name after '{%'");
                    }

                    if (endTags is not null && Array.IndexOf(endTags, tag.Value) >= 0)
                    {
                        _pos += 2;
                        return ([.. nodes], tag.Value);
                    }

                    _pos += 2;
                    nodes.Add(ParseStatement(tag));
                    break;
                case TokenKind.EndOfTemplate:
                    if (endTags is not null)
                    {
                        var closer = Array.Find(endTags, t => t.StartsWith("end", StringComparison.Ordinal)) ?? endTags[^1];
                        throw Error($"'{{% {opener} %}}' is never closed: expected '{{% {closer} %}}' before the end of the template", openLine);
                    }

                    return ([.. nodes], "");
                default:
                    throw Error($"unexpected {token.Describe()}", token.Line);
            }
        }
    }

    private TemplateNode ParseStatement(TemplateToken tag) => tag.Value switch
    {
        "if" => ParseIf(tag.Line),
        "for" => ParseFor(tag.Line),
        "set" => ParseSet(tag.Line),
        "macro" => ParseMacro(tag.Line),
        "generation" => ParseGeneration(tag.Line),
        "break" or "continue" => ParseLoopControl(tag),
        "endif" or "endfor" or "endset" or "endmacro" or "elif" or "else" or "endgeneration" or "endraw" =>
            throw Error($"unexpected '{{% {tag.Value} %}}' with no open block it could close", tag.Line),
        _ => throw Error($"unsupported tag '{{% {tag.Value} %}}' (supported: if, for, set, macro, raw, generation, break, continue)", tag.Line),
    };

    private IfNode ParseIf(int line)
    {
        var branches = new List<IfBranch>();
        var condition = ParseExpression(withCondition: true);
        while (true)
        {
            ExpectBlockEnd();
            var (body, end) = ParseBody(["elif", "else", "endif"], line, "if");
            branches.Add(new IfBranch(condition, body));
            if (end == "elif")
            {
                condition = ParseExpression(withCondition: true);
                continue;
            }

            ExpectBlockEnd();
            if (end == "endif")
            {
                return new IfNode([.. branches], null, line);
            }

            var (elseBody, _) = ParseBody(["endif"], line, "if");
            ExpectBlockEnd();
            return new IfNode([.. branches], elseBody, line);
        }
    }

    private ForNode ParseFor(int line)
    {
        var targets = ParseAssignTargets();
        if (!Current.IsName("in"))
        {
            throw Unexpected("'in'");
        }

        _pos++;
        var iterable = ParseTuple(withCondition: false);
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            _pos++;
            filter = ParseExpression(withCondition: true);
        }

        if (Current.IsName("recursive"))
        {
            throw Error("recursive for loops are not supported", Current.Line);
        }

        ExpectBlockEnd();
        var (body, end) = ParseBody(["endfor", "else"], line, "for");
        ExpectBlockEnd();
        TemplateNode[]? elseBody = null;
        if (end == "else")
        {
            (elseBody, _) = ParseBody(["endfor"], line, "for");
            ExpectBlockEnd();
        }

        return new ForNode(targets, iterable, filter, body, elseBody, line);
    }

    private string[] ParseAssignTargets()
    {
        var parenthesized = Current.IsOperator("(");
        if (parenthesized)
        {
            _pos++;
        }

        var names = new List<string> { ExpectName("a variable name") };
        while (Current.IsOperator(","))
        {
            _pos++;
            if (Current.Kind != TokenKind.Name || Current.IsName("in"))
            {
                break;
            }

            names.Add(Next().Value);
        }

        if (parenthesized)
        {
            ExpectOperator(")");
        }

        return [.. names];
    }

    private TemplateNode ParseSet(int line)
    {
        if (Current.Kind == TokenKind.Name && Peek(1).IsOperator("."))
        {
            var target = Next().Value;
            _pos++;
            var attribute = ExpectName("an attribute name");
            ExpectOperator("=");
            var value = ParseTuple(withCondition: true);
            ExpectBlockEnd();
            return new SetNode([target], attribute, value, line);
        }

        var targets = ParseAssignTargets();
        if (Current.IsOperator("="))
        {
            _pos++;
            var value = ParseTuple(withCondition: true);
            ExpectBlockEnd();
            return new SetNode(targets, null, value, line);
        }

        if (targets.Length != 1 || Current.Kind != TokenKind.BlockEnd)
        {
            throw Unexpected("'=' or '%}'");
        }

        _pos++;
        var (body, _) = ParseBody(["endset"], line, "set");
        ExpectBlockEnd();
        return new SetBlockNode(targets[0], body, line);
    }

    private MacroNode ParseMacro(int line)
    {
        var name = ExpectName("a macro name");
        ExpectOperator("(");
        var parameters = new List<MacroParameter>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }

            var parameter = ExpectName("a parameter name");
            Expr? defaultValue = null;
            if (Current.IsOperator("="))
            {
                _pos++;
                defaultValue = ParseExpression(withCondition: true);
            }

            parameters.Add(new MacroParameter(parameter, defaultValue));
        }

        _pos++;
        ExpectBlockEnd();
        var (body, _) = ParseBody(["endmacro"], line, "macro");
        if (Current.Kind == TokenKind.Name && Current.Value == name)
        {
            _pos++;
        }

        ExpectBlockEnd();
        return new MacroNode(name, [.. parameters], body, line);
    }

    private GenerationNode ParseGeneration(int line)
    {
        ExpectBlockEnd();
        var (body, _) = ParseBody(["endgeneration"], line, "generation");
        ExpectBlockEnd();
        return new GenerationNode(body, line);
    }

    private LoopControlNode ParseLoopControl(TemplateToken tag)
    {
        ExpectBlockEnd();
        return new LoopControlNode(tag.Value == "break", tag.Line);
    }
}
