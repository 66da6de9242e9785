using System.Text;

namespace InferMesh.Engine.Templates;

internal sealed partial class TemplateRenderer
{
    private object? Eval(Expr expr)
    {
        switch (expr)
        {
            case ConstExpr constant:
                return constant.Value;
            case NameExpr name:
                return Lookup(name.Name);
            case AttributeExpr attribute:
                return PythonOperators.GetAttribute(Eval(attribute.Target), attribute.Name);
            case ItemExpr item:
                return PythonOperators.GetItem(Eval(item.Target), Eval(item.Key));
            case SliceExpr slice:
                return PythonOperators.Slice(Eval(slice.Target), EvalOptional(slice.Start), EvalOptional(slice.Stop), EvalOptional(slice.Step));
            case BinaryExpr binary:
                return PythonOperators.Binary(binary.Operator, Eval(binary.Left), Eval(binary.Right));
            case CompareExpr compare:
                return EvalCompare(compare);
            case AndExpr and:
                var left = Eval(and.Left);
                return PythonValues.IsTruthy(left) ? Eval(and.Right) : left;
            case OrExpr or:
                var first = Eval(or.Left);
                return PythonValues.IsTruthy(first) ? first : Eval(or.Right);
            case NotExpr not:
                return !PythonValues.IsTruthy(Eval(not.Operand));
            case NegateExpr negate:
                return PythonOperators.Negate(Eval(negate.Operand), negate.Positive);
            case ConditionalExpr conditional:
                if (PythonValues.IsTruthy(Eval(conditional.Condition)))
                {
                    return Eval(conditional.Then);
                }

                return conditional.Else is null ? new Undefined("the inline if had no else and its condition was false") : Eval(conditional.Else);
            case FilterExpr filter:
                return TemplateFilters.Apply(filter.Name, Eval(filter.Target), EvalArguments(filter.Arguments));
            case TestExpr test:
                return TemplateTests.Apply(test.Name, Eval(test.Target), EvalArguments(test.Arguments)) != test.Negated;
            case CallExpr call:
                return EvalCall(call);
            case ListExpr list:
                var items = new List<object?>(list.Items.Length);
                foreach (var e in list.Items)
                {
                    items.Add(Eval(e));
                }

                return items;
            case TupleExpr tuple:
                var values = new object?[tuple.Items.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = Eval(tuple.Items[i]);
                }

                return values;
            case DictExpr dict:
                var result = new OrderedDictionary<string, object?>(dict.Entries.Length, StringComparer.Ordinal);
                foreach (var (key, value) in dict.Entries)
                {
                    result[PythonValues.ToStr(Eval(key))] = Eval(value);
                }

                return result;
            default:
                throw new TemplateException($"cannot evaluate {expr.GetType().Name}", expr.Line);
        }
    }

    private object? EvalOptional(Expr? expr) => expr is null ? null : Eval(expr);

    private bool EvalCompare(CompareExpr compare)
    {
        var left = Eval(compare.First);
        foreach (var (op, rightExpr) in compare.Rest)
        {
            var right = Eval(rightExpr);
            var holds = op switch
            {
                CompareOperator.Equal => PythonValues.AreEqual(left, right),
                CompareOperator.NotEqual => !PythonValues.AreEqual(left, right),
                CompareOperator.Less => PythonValues.Compare(left, right) < 0,
                CompareOperator.LessOrEqual => PythonValues.Compare(left, right) <= 0,
                CompareOperator.Greater => PythonValues.Compare(left, right) > 0,
                CompareOperator.GreaterOrEqual => PythonValues.Compare(left, right) >= 0,
                CompareOperator.In => PythonValues.Contains(right, left),
                _ => !PythonValues.Contains(right, left),
            };
            if (!holds)
            {
                return false;
            }

            left = right;
        }

        return true;
    }

    private CallArguments EvalArguments(Argument[] arguments)
    {
        if (arguments.Length == 0)
        {
            return CallArguments.None;
        }

        var positionalCount = 0;
        foreach (var a in arguments)
        {
            positionalCount += a.Name is null ? 1 : 0;
        }

        var positional = new object?[positionalCount];
        var keywords = new KeyValuePair<string, object?>[arguments.Length - positionalCount];
        int p = 0, k = 0;
        foreach (var a in arguments)
        {
            if (a.Name is null)
            {
                if (k > 0)
                {
                    throw new InvalidOperationException("positional argument follows keyword argument");
                }

                positional[p++] = Eval(a.Value);
            }
            else
            {
                keywords[k++] = new(a.Name, Eval(a.Value));
            }
        }

        return new CallArguments(positional, keywords);
    }

    private object? EvalCall(CallExpr call)
    {
        var callee = Eval(call.Callee);
        var args = EvalArguments(call.Arguments);
        return callee switch
        {
            TemplateMacro macro => CallMacro(macro, args),
            BuiltinFunction builtin => TemplateGlobals.Call(builtin, args, _clock),
            BoundMethod method => TemplateMethods.Call(method, args),
            Undefined undefined => throw new InvalidOperationException(undefined.Hint),
            _ => throw new InvalidOperationException($"'{PythonValues.TypeName(callee)}' object is not callable"),
        };
    }

    private string CallMacro(TemplateMacro macro, CallArguments args)
    {
        var node = macro.Node;
        if (args.Count > node.Parameters.Length)
        {
            throw new InvalidOperationException($"macro '{node.Name}' takes {node.Parameters.Length} argument(s) but {args.Count} were given");
        }

        foreach (var (name, _) in args.Keywords)
        {
            if (Array.FindIndex(node.Parameters, p => p.Name == name) is var at && (at < 0 || at < args.Count))
            {
                throw new InvalidOperationException(at < 0
                    ? $"macro '{node.Name}' has no parameter '{name}'"
                    : $"macro '{node.Name}' got multiple values for parameter '{name}'");
            }
        }

        var saved = _scope;
        var savedDepth = _loopDepth;
        _scope = new TemplateScope(macro.Closure);
        _loopDepth = 0;
        try
        {
            for (var i = 0; i < node.Parameters.Length; i++)
            {
                var parameter = node.Parameters[i];
                object? value = args.TryGet(i, parameter.Name, out var given) ? given
                    : parameter.Default is not null ? Eval(parameter.Default)
                    : new Undefined($"macro '{node.Name}' was called without '{parameter.Name}'");
                _scope.Set(parameter.Name, value);
            }

            var output = new StringBuilder();
            RenderBody(node.Body, output);
            return output.ToString();
        }
        finally
        {
            _scope = saved;
            _loopDepth = savedDepth;
        }
    }
}
