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
}
