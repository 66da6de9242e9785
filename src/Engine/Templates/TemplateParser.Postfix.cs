using System.Globalization;

namespace InferMesh.Engine.Templates;

// Postfix operations (.attr, [item], [a:b:c], (call)), filters (| name(args)) and tests (is [not] name args).
internal sealed partial class TemplateParser
{
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
