using System.Globalization;

namespace InferMesh.Engine.Templates;

// Expression grammar, loosest to tightest binding (as jinja2's parser):
// conditional (a if c else b) < or < and < not < comparisons/in < + - < ~ < * / // % < ** < unary - + < postfix/filters/tests.
internal sealed partial class TemplateParser
{
    private Expr ParseTuple(bool withCondition)
    {
        var line = Current.Line;
        var first = ParseExpression(withCondition);
        if (!Current.IsOperator(","))
        {
            return first;
        }

        var items = new List<Expr> { first };
        while (Current.IsOperator(","))
        {
            _pos++;
            if (IsTupleEnd())
            {
                break;
            }

            items.Add(ParseExpression(withCondition));
        }

        return new TupleExpr([.. items], line);
    }

    private bool IsTupleEnd() =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.EndOfTemplate
        || Current.IsOperator(")") || Current.IsName("if") || Current.IsName("recursive");

    private Expr ParseExpression(bool withCondition) => withCondition ? ParseConditional() : ParseOr();

    private Expr ParseConditional()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            var line = Next().Line;
            var condition = ParseOr();
            Expr? otherwise = null;
            if (Current.IsName("else"))
            {
                _pos++;
                otherwise = ParseConditional();
            }

            expr = new ConditionalExpr(condition, expr, otherwise, line);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var line = Next().Line;
            left = new OrExpr(left, ParseAnd(), line);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var line = Next().Line;
            left = new AndExpr(left, ParseNot(), line);
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var line = Next().Line;
            return new NotExpr(ParseNot(), line);
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var line = Current.Line;
        var first = ParseAdditive();
        List<Comparison>? rest = null;
        while (true)
        {
            CompareOperator op;
            if (Current.Kind == TokenKind.Operator && Current.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                op = Current.Value switch
                {
                    "==" => CompareOperator.Equal,
                    "!=" => CompareOperator.NotEqual,
                    "<" => CompareOperator.Less,
                    "<=" => CompareOperator.LessOrEqual,
                    ">" => CompareOperator.Greater,
                    _ => CompareOperator.GreaterOrEqual,
                };
                _pos++;
            }
            else if (Current.IsName("in"))
            {
                op = CompareOperator.In;
                _pos++;
            }
            else if (Current.IsName("not") && Peek(1).IsName("in"))
            {
                op = CompareOperator.NotIn;
                _pos += 2;
            }
            else
            {
                break;
            }

            (rest ??= []).Add(new Comparison(op, ParseAdditive()));
        }

        return rest is null ? first : new CompareExpr(first, [.. rest], line);
    }

    private Expr ParseAdditive()
    {
        var left = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-")
        {
            var token = Next();
            var op = token.Value == "+" ? BinaryOperator.Add : BinaryOperator.Subtract;
            left = new BinaryExpr(op, left, ParseConcat(), token.Line);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (Current.IsOperator("~"))
        {
            var line = Next().Line;
            left = new BinaryExpr(BinaryOperator.Concat, left, ParseMultiplicative(), line);
        }

        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var token = Next();
            var op = token.Value switch
            {
                "*" => BinaryOperator.Multiply,
                "/" => BinaryOperator.Divide,
                "//" => BinaryOperator.FloorDivide,
                _ => BinaryOperator.Modulo,
            };
            left = new BinaryExpr(op, left, ParsePower(), token.Line);
        }

        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            var line = Next().Line;
            left = new BinaryExpr(BinaryOperator.Power, left, ParseUnary(withFilter: true), line);
        }

        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        Expr node;
        if (Current.Kind == TokenKind.Operator && Current.Value is "-" or "+")
        {
            var token = Next();
            node = new NegateExpr(ParseUnary(withFilter: false), token.Value == "+", token.Line);
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilter ? ParseFilters(node) : node;
    }

    private Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new ConstExpr(true, token.Line),
                    "false" or "False" => new ConstExpr(false, token.Line),
                    "none" or "None" => new ConstExpr(null, token.Line),
                    _ => new NameExpr(token.Value, token.Line),
                };
            case TokenKind.String:
                var text = token.Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Next().Value; // adjacent literals concatenate, as in Python
                }

                return new ConstExpr(text, token.Line);
            case TokenKind.Integer:
                return new ConstExpr(long.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Float:
                return new ConstExpr(double.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Operator when token.Value == "(":
                if (Current.IsOperator(")"))
                {
                    _pos++;
                    return new TupleExpr([], token.Line);
                }

                var inner = ParseTuple(withCondition: true);
                ExpectOperator(")");
                return inner;
            case TokenKind.Operator when token.Value == "[":
                return new ListExpr(ParseSequence("]"), token.Line);
            case TokenKind.Operator when token.Value == "{":
                return ParseDict(token.Line);
            default:
                _pos--;
                throw Unexpected("an expression");
        }
    }

    private Expr[] ParseSequence(string close)
    {
        var items = new List<Expr>();
        while (!Current.IsOperator(close))
        {
            if (items.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(close))
                {
                    break;
                }
            }

            items.Add(ParseExpression(withCondition: true));
        }

        _pos++;
        return [.. items];
    }

    private DictExpr ParseDict(int line)
    {
        var entries = new List<KeyValuePair<Expr, Expr>>();
        while (!Current.IsOperator("}"))
        {
            if (entries.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator("}"))
                {
                    break;
                }
            }

            var key = ParseExpression(withCondition: true);
            ExpectOperator(":");
            entries.Add(new(key, ParseExpression(withCondition: true)));
        }

        _pos++;
        return new DictExpr([.. entries], line);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                _pos++;
                var attribute = Next();
                node = attribute.Kind switch
                {
                    TokenKind.Name => new AttributeExpr(node, attribute.Value, token.Line),
                    TokenKind.Integer => new ItemExpr(node, new ConstExpr(long.Parse(attribute.Value, CultureInfo.InvariantCulture), token.Line), token.Line),
                    _ => throw Error($"expected an attribute name after '.' but found {attribute.Describe()}", attribute.Line),
                };
            }
            else if (token.IsOperator("["))
            {
                _pos++;
                node = ParseSubscript(node, token.Line);
            }
            else if (token.IsOperator("("))
            {
                _pos++;
                node = new CallExpr(node, ParseArguments(), token.Line);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr target, int line)
    {
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseTuple(withCondition: true);
            if (Current.IsOperator("]"))
            {
                _pos++;
                return new ItemExpr(target, start, line);
            }
        }

        ExpectOperator(":");
        Expr? stop = Current.IsOperator("]") || Current.IsOperator(":") ? null : ParseExpression(withCondition: true);
        Expr? step = null;
        if (Current.IsOperator(":"))
        {
            _pos++;
            step = Current.IsOperator("]") ? null : ParseExpression(withCondition: true);
        }

        ExpectOperator("]");
        return new SliceExpr(target, start, stop, step, line);
    }

    /// <summary>Call arguments after '(' through ')': positional and name=value.</summary>
    private Argument[] ParseArguments()
    {
        var args = new List<Argument>();
        while (!Current.IsOperator(")"))
        {
            if (args.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }

            if (Current.IsOperator("*") || Current.IsOperator("**"))
            {
                throw Error("*args and **kwargs in calls are not supported", Current.Line);
            }

            if (Current.Kind == TokenKind.Name && Peek(1).IsOperator("="))
            {
                var name = Next().Value;
                _pos++;
                args.Add(new Argument(name, ParseExpression(withCondition: true)));
            }
            else
            {
                args.Add(new Argument(null, ParseExpression(withCondition: true)));
            }
        }

        _pos++;
        return [.. args];
    }

    private Expr ParseFilters(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("|"))
            {
                _pos++;
                var name = ExpectName("a filter name after '|'");
                if (!TemplateFilters.IsKnown(name))
                {
                    throw Error($"unknown filter '{name}'", token.Line);
                }

                var args = Current.IsOperator("(") ? ParseArgumentsAfterParen() : [];
                node = new FilterExpr(node, name, args, token.Line);
            }
            else if (token.IsName("is"))
            {
                _pos++;
                node = ParseTest(node, token.Line);
            }
            else if (token.IsOperator("("))
            {
                _pos++;
                node = new CallExpr(node, ParseArguments(), token.Line);
            }
            else
            {
                return node;
            }
        }
    }

    private Argument[] ParseArgumentsAfterParen()
    {
        _pos++;
        return ParseArguments();
    }

    private TestExpr ParseTest(Expr node, int line)
    {
        var negated = false;
        if (Current.IsName("not"))
        {
            _pos++;
            negated = true;
        }

        var name = ExpectName("a test name after 'is'");
        if (!TemplateTests.IsKnown(name))
        {
            throw Error($"unknown test '{name}'", line);
        }

        Argument[] args = [];
        if (Current.IsOperator("("))
        {
            args = ParseArgumentsAfterParen();
        }
        else if ((Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                  || Current.IsOperator("[") || Current.IsOperator("{"))
                 && !Current.IsName("else") && !Current.IsName("or") && !Current.IsName("and") && !Current.IsName("if"))
        {
            if (Current.IsName("is"))
            {
                throw Error("tests cannot be chained with 'is'", Current.Line);
            }

            args = [new Argument(null, ParsePostfix(ParsePrimary()))];
        }

        return new TestExpr(node, name, args, negated, line);
    }
}
