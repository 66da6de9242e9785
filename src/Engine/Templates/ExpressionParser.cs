namespace InferMesh.Engine.Templates;

/// <summary>
/// Recursive-descent parser for Jinja expressions with Jinja's precedence: conditional, or, and, not, comparisons
/// (incl. in / not in), + -, ~, * / // %, **, unary, then postfix (attribute, item, slice, call) with filters and
/// tests binding tightest.
/// </summary>
internal sealed class ExpressionParser(List<ExpressionToken> tokens, int line)
{
    private int _pos;

    public static Expr Parse(string source, int line)
    {
        var parser = new ExpressionParser(ExpressionLexer.Tokenize(source, line), line);
        var expr = parser.ParseExpression();
        parser.ExpectEnd();
        return expr;
    }

    public ExpressionToken Peek => tokens[_pos];

    public bool AtEnd => Peek.Kind == ExpressionTokenKind.End;

    public ExpressionToken Next() => tokens[_pos++];

    public bool Accept(string op)
    {
        if (Peek.Is(op))
        {
            _pos++;
            return true;
        }

        return false;
    }

    public void Expect(string op)
    {
        if (!Accept(op))
        {
            throw new TemplateException($"expected '{op}' but found '{Peek.Text}'", line);
        }
    }

    public string ExpectName()
    {
        var t = Next();
        return t.Kind == ExpressionTokenKind.Name ? t.Text : throw new TemplateException($"expected a name but found '{t.Text}'", line);
    }

    public void ExpectEnd()
    {
        if (!AtEnd)
        {
            throw new TemplateException($"unexpected '{Peek.Text}' after the expression", line);
        }
    }

    /// <summary>An expression, or a bare tuple of them (`a, b`), as for-loops and set allow.</summary>
    public Expr ParseTupleOrExpression()
    {
        var first = ParseExpression();
        if (!Peek.Is(","))
        {
            return first;
        }

        var items = new List<Expr> { first };
        while (Accept(","))
        {
            items.Add(ParseExpression());
        }

        return new ListExpr(items, line);
    }

    public Expr ParseExpression(bool allowConditional = true)
    {
        var expr = ParseOr();
        if (allowConditional && Accept("if"))
        {
            var condition = ParseOr();
            var otherwise = Accept("else") ? ParseExpression() : null;
            return new ConditionalExpr(condition, expr, otherwise, line);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Accept("or"))
        {
            left = new BinaryExpr("or", left, ParseAnd(), line);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Accept("and"))
        {
            left = new BinaryExpr("and", left, ParseNot(), line);
        }

        return left;
    }

    private Expr ParseNot() => Accept("not") ? new UnaryExpr("not", ParseNot(), line) : ParseCompare();

    private Expr ParseCompare()
    {
        var left = ParseAdd();
        while (true)
        {
            if (Peek.Kind == ExpressionTokenKind.Operator && Peek.Text is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                left = new BinaryExpr(Next().Text, left, ParseAdd(), line);
            }
            else if (Accept("in"))
            {
                left = new BinaryExpr("in", left, ParseAdd(), line);
            }
            else if (Peek.Is("not") && tokens[_pos + 1].Is("in"))
            {
                _pos += 2;
                left = new UnaryExpr("not", new BinaryExpr("in", left, ParseAdd(), line), line);
            }
            else
            {
                return left;
            }
        }
    }

    private Expr ParseAdd()
    {
        var left = ParseConcat();
        while (Peek.Kind == ExpressionTokenKind.Operator && Peek.Text is "+" or "-")
        {
            left = new BinaryExpr(Next().Text, left, ParseConcat(), line);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiply();
        while (Accept("~"))
        {
            left = new BinaryExpr("~", left, ParseMultiply(), line);
        }

        return left;
    }

    private Expr ParseMultiply()
    {
        var left = ParsePower();
        while (Peek.Kind == ExpressionTokenKind.Operator && Peek.Text is "*" or "/" or "//" or "%")
        {
            left = new BinaryExpr(Next().Text, left, ParsePower(), line);
        }

        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary();
        while (Accept("**"))
        {
            left = new BinaryExpr("**", left, ParseUnary(), line);
        }

        return left;
    }

    private Expr ParseUnary()
    {
        if (Peek.Kind == ExpressionTokenKind.Operator && Peek.Text is "-" or "+")
        {
            return new UnaryExpr(Next().Text, ParseUnary(), line);
        }

        return ParseFilters(ParsePostfix(ParsePrimary()));
    }

    private Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case ExpressionTokenKind.Number:
            case ExpressionTokenKind.String:
                var value = t.Value;
                while (t.Kind == ExpressionTokenKind.String && Peek.Kind == ExpressionTokenKind.String)
                {
                    value = (string)value! + (string)Next().Value!; // adjacent literals concatenate
                }

                return new LiteralExpr(value, line);
            case ExpressionTokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new LiteralExpr(true, line),
                    "false" or "False" => new LiteralExpr(false, line),
                    "none" or "None" => new LiteralExpr(null, line),
                    _ => new NameExpr(t.Text, line),
                };
        }

        if (t.Is("("))
        {
            if (Accept(")"))
            {
                return new ListExpr([], line);
            }

            var inner = ParseTupleOrExpression();
            Expect(")");
            return inner;
        }

        if (t.Is("["))
        {
            var items = new List<Expr>();
            while (!Accept("]"))
            {
                items.Add(ParseExpression());
                if (!Accept(","))
                {
                    Expect("]");
                    break;
                }
            }

            return new ListExpr(items, line);
        }

        if (t.Is("{"))
        {
            var items = new List<(Expr, Expr)>();
            while (!Accept("}"))
            {
                var key = ParseExpression();
                Expect(":");
                items.Add((key, ParseExpression()));
                if (!Accept(","))
                {
                    Expect("}");
                    break;
                }
            }

            return new DictExpr(items, line);
        }

        throw new TemplateException(t.Kind == ExpressionTokenKind.End ? "expression ends too early" : $"unexpected '{t.Text}'", line);
    }

    private Expr ParsePostfix(Expr expr)
    {
        while (true)
        {
            if (Accept("."))
            {
                expr = new AttributeExpr(expr, Next().Text, line);
            }
            else if (Accept("["))
            {
                Expr? start = null, stop = null, step = null;
                var isSlice = false;
                if (!Peek.Is(":"))
                {
                    start = ParseExpression();
                }

                if (Accept(":"))
                {
                    isSlice = true;
                    if (!Peek.Is(":") && !Peek.Is("]"))
                    {
                        stop = ParseExpression();
                    }

                    if (Accept(":") && !Peek.Is("]"))
                    {
                        step = ParseExpression();
                    }
                }

                Expect("]");
                expr = isSlice ? new SliceExpr(expr, start, stop, step, line) : new ItemExpr(expr, start!, line);
            }
            else if (Peek.Is("("))
            {
                var (args, kwargs) = ParseArguments();
                expr = new CallExpr(expr, args, kwargs, line);
            }
            else
            {
                return expr;
            }
        }
    }

    private Expr ParseFilters(Expr expr)
    {
        while (true)
        {
            if (Accept("|"))
            {
                var name = ExpectName();
                var (args, kwargs) = Peek.Is("(") ? ParseArguments() : ([], []);
                expr = new FilterExpr(expr, name, args, kwargs, line);
            }
            else if (Accept("is"))
            {
                var negated = Accept("not");
                var name = ExpectName();
                var args = new List<Expr>();
                if (Peek.Is("("))
                {
                    args = ParseArguments().Args;
                }
                else if (Peek.Kind is ExpressionTokenKind.Number or ExpressionTokenKind.String || (Peek.Kind == ExpressionTokenKind.Name && !Peek.Is("and") && !Peek.Is("or") && !Peek.Is("else") && !Peek.Is("if")))
                {
                    args.Add(ParsePostfix(ParsePrimary()));
                }

                expr = new TestExpr(expr, name, args, negated, line);
            }
            else
            {
                return expr;
            }
        }
    }

    private (List<Expr> Args, List<(string, Expr)> Kwargs) ParseArguments()
    {
        Expect("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Accept(")"))
        {
            if (Peek.Kind == ExpressionTokenKind.Name && tokens[_pos + 1].Is("="))
            {
                var name = Next().Text;
                Next();
                kwargs.Add((name, ParseExpression()));
            }
            else
            {
                args.Add(ParseExpression());
            }

            if (!Accept(","))
            {
                Expect(")");
                break;
            }
        }

        return (args, kwargs);
    }
}
