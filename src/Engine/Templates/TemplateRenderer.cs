using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Walks a parsed template once per render: statements here, expressions in TemplateRenderer.Expressions.cs.
/// Scoping follows jinja2: a for loop opens a scope per iteration (so <c>set</c> inside it does not leak out, hence
/// <c>namespace()</c>), <c>if</c> does not, a macro call runs in a scope over the one it was defined in.
/// </summary>
internal sealed partial class TemplateRenderer
{
    private readonly TimeProvider _clock;
    private TemplateScope _scope;
    private int _loopDepth;

    public TemplateRenderer(IReadOnlyDictionary<string, object?> variables, TimeProvider clock)
    {
        _clock = clock;
        _scope = new TemplateScope(null, NormalizeVariables(variables));
    }

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public string Render(TemplateNode[] nodes)
    {
        var output = new StringBuilder(1024);
        RenderBody(nodes, output);
        return output.ToString();
    }

    /// <summary>
    /// Converts JsonElements and other CLR shapes once up front, so lookups during the render see plain values. A value
    /// that cannot be converted (a JSON string escaping a lone surrogate, which has no string value) is a
    /// <see cref="TemplateException"/> naming the variable, like any other input the template cannot render.
    /// </summary>
    private static IReadOnlyDictionary<string, object?> NormalizeVariables(IReadOnlyDictionary<string, object?> variables)
    {
        Dictionary<string, object?>? copy = null;
        foreach (var (name, value) in variables)
        {
            object? normalized;
            try
            {
                normalized = DeepNormalize(value);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new TemplateException($"variable '{name}' cannot be given to the template: {ex.Message}", 0, ex);
            }

            if (!ReferenceEquals(normalized, value) && copy is null)
            {
                copy = new Dictionary<string, object?>(variables, StringComparer.Ordinal);
            }

            if (copy is not null)
            {
                copy[name] = normalized;
            }
        }

        return copy ?? variables;
    }

    /// <summary>Returns <paramref name="value"/> itself when nothing inside it needs converting.</summary>
    private static object? DeepNormalize(object? value)
    {
        switch (value)
        {
            case null or string or bool or long or double:
                return value;
            case IReadOnlyDictionary<string, object?> dict:
                OrderedDictionary<string, object?>? newDict = null;
                var i = 0;
                foreach (var (key, item) in dict)
                {
                    var normalized = DeepNormalize(item);
                    if (!ReferenceEquals(normalized, item) && newDict is null)
                    {
                        newDict = new OrderedDictionary<string, object?>(dict.Count, StringComparer.Ordinal);
                        foreach (var (k, v) in dict.Take(i))
                        {
                            newDict[k] = v;
                        }
                    }

                    newDict?.Add(key, normalized);
                    i++;
                }

                return newDict ?? value;
            case IReadOnlyList<object?> list:
                List<object?>? newList = null;
                for (var j = 0; j < list.Count; j++)
                {
                    var normalized = DeepNormalize(list[j]);
                    if (!ReferenceEquals(normalized, list[j]) && newList is null)
                    {
                        newList = new List<object?>(list.Count);
                        newList.AddRange(list.Take(j));
                    }

                    newList?.Add(normalized);
                }

                return newList ?? value;
            default:
                var converted = PythonValues.Normalize(value);
                return ReferenceEquals(converted, value) ? value : DeepNormalize(converted);
        }
    }

    private Flow RenderBody(TemplateNode[] nodes, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            var flow = RenderNode(node, output);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow RenderNode(TemplateNode node, StringBuilder output)
    {
        try
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    return Flow.Normal;
                case OutputNode print:
                    output.Append(PythonValues.ToStr(Eval(print.Value)));
                    return Flow.Normal;
                case IfNode conditional:
                    foreach (var branch in conditional.Branches)
                    {
                        if (PythonValues.IsTruthy(Eval(branch.Condition)))
                        {
                            return RenderBody(branch.Body, output);
                        }
                    }

                    return conditional.ElseBody is null ? Flow.Normal : RenderBody(conditional.ElseBody, output);
                case ForNode loop:
                    return RenderFor(loop, output);
                case SetNode set:
                    Assign(set);
                    return Flow.Normal;
                case SetBlockNode setBlock:
                    var (assigned, setFlow) = RenderFiltered(setBlock.Body, setBlock.Filters);
                    if (setFlow == Flow.Normal)
                    {
                        _scope.Set(setBlock.Name, assigned);
                    }

                    return setFlow;
                case FilterBlockNode filterBlock:
                    var (filtered, filterFlow) = RenderFiltered(filterBlock.Body, filterBlock.Filters);
                    if (filterFlow == Flow.Normal)
                    {
                        output.Append(PythonValues.ToStr(filtered));
                    }

                    return filterFlow;
                case MacroNode macro:
                    _scope.Set(macro.Name, new TemplateMacro(macro, _scope));
                    return Flow.Normal;
                case CallBlockNode callBlock:
                    output.Append(PythonValues.ToStr(EvalCall(callBlock.Call, new TemplateMacro(callBlock.Caller, _scope))));
                    return Flow.Normal;
                case GenerationNode generation:
                    return RenderBody(generation.Body, output);
                case WithNode with:
                    return RenderWith(with, output);
                case LoopControlNode control:
                    return _loopDepth == 0
                        ? throw new TemplateException($"'{{% {(control.IsBreak ? "break" : "continue")} %}}' outside a for loop", control.Line)
                        : control.IsBreak ? Flow.Break : Flow.Continue;
                default:
                    throw new TemplateException($"cannot render {node.GetType().Name}", node.Line);
            }
        }
        catch (TemplateException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new TemplateException(ex.Message, node.Line, ex);
        }
    }

    /// <summary>
    /// Renders a block body to a string and passes it through the filters (<c>{% set x | f %}</c>, <c>{% filter f %}</c>).
    /// jinja2 renders these bodies inline, so a break or continue inside one leaves the block (nothing assigned or output)
    /// and acts on the enclosing loop.
    /// </summary>
    private (object? Value, Flow Flow) RenderFiltered(TemplateNode[] body, FilterCall[] filters)
    {
        var captured = new StringBuilder();
        var flow = RenderBody(body, captured);
        if (flow != Flow.Normal)
        {
            return (null, flow);
        }

        object? value = captured.ToString();
        foreach (var filter in filters)
        {
            value = TemplateFilters.Apply(filter.Name, value, EvalArguments(filter.Arguments));
        }

        return (value, Flow.Normal);
    }

    private Flow RenderWith(WithNode node, StringBuilder output)
    {
        var values = new object?[node.Values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Eval(node.Values[i]);
        }

        var outer = _scope;
        _scope = new TemplateScope(outer);
        try
        {
            for (var i = 0; i < values.Length; i++)
            {
                _scope.Set(node.Names[i], values[i]);
            }

            return RenderBody(node.Body, output);
        }
        finally
        {
            _scope = outer;
        }
    }

    /// <summary>
    /// A for loop. Its else block runs unless some iteration ran its body to the end: jinja2 clears the "no iteration"
    /// flag as the body's last statement (jinja2/compiler.py, visit_For), so an empty loop, and also one whose every
    /// pass ends in break or continue, takes the else branch.
    /// </summary>
    private Flow RenderFor(ForNode node, StringBuilder output)
    {
        var items = PythonValues.Iterate(Eval(node.Iterable));
        var outer = _scope;
        var scope = new TemplateScope(outer);
        var completedAPass = false;
        _scope = scope;
        _loopDepth++;
        try
        {
            if (node.Filter is not null)
            {
                var kept = new List<object?>();
                foreach (var item in items)
                {
                    scope.Clear();
                    Bind(scope, node.Targets, PythonValues.Normalize(item));
                    if (PythonValues.IsTruthy(Eval(node.Filter)))
                    {
                        kept.Add(item);
                    }
                }

                items = kept;
            }

            var loop = new LoopState(items);
            for (var i = 0; i < items.Count; i++)
            {
                loop.Index0 = i;
                scope.Clear(); // each iteration starts fresh, as jinja2's loop frame does
                Bind(scope, node.Targets, PythonValues.Normalize(items[i]));
                scope.Set("loop", loop);
                var flow = RenderBody(node.Body, output);
                if (flow == Flow.Break)
                {
                    break;
                }

                completedAPass |= flow == Flow.Normal;
            }
        }
        finally
        {
            _loopDepth--;
            _scope = outer;
        }

        if (completedAPass || node.ElseBody is null)
        {
            return Flow.Normal;
        }

        _scope = new TemplateScope(outer); // the else block has its own scope, without the loop's names
        try
        {
            return RenderBody(node.ElseBody, output); // a break here belongs to an enclosing loop
        }
        finally
        {
            _scope = outer;
        }
    }

    private void Assign(SetNode node)
    {
        var value = Eval(node.Value);
        if (node.Attribute is null)
        {
            Bind(_scope, node.Targets, value);
            return;
        }

        if (Lookup(node.Targets[0]) is not TemplateNamespace ns)
        {
            throw new TemplateException($"cannot assign attribute '{node.Attribute}' on '{node.Targets[0]}': only namespace() objects take attributes", node.Line);
        }

        ns.Attributes[node.Attribute] = value;
    }

    private static void Bind(TemplateScope scope, string[] targets, object? value)
    {
        if (targets.Length == 1)
        {
            scope.Set(targets[0], value);
            return;
        }

        var parts = value is string s ? PythonValues.CodePoints(s) : value as IReadOnlyList<object?>
            ?? throw new InvalidOperationException($"cannot unpack non-sequence {PythonValues.TypeName(value)}");
        if (parts.Count != targets.Length)
        {
            throw new InvalidOperationException(parts.Count < targets.Length
                ? $"not enough values to unpack (expected {targets.Length}, got {parts.Count})"
                : $"too many values to unpack (expected {targets.Length})");
        }

        for (var i = 0; i < targets.Length; i++)
        {
            scope.Set(targets[i], PythonValues.Normalize(parts[i]));
        }
    }

    private object? Lookup(string name)
    {
        if (_scope.TryGet(name, out var value))
        {
            return value;
        }

        return (object?)BuiltinFunction.Find(name) ?? new Undefined($"'{name}' is undefined");
    }
}
