using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>Executes a parsed template against a scope, appending output.</summary>
internal static class TemplateRenderer
{
    public static void Render(List<TemplateNode> nodes, TemplateScope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode t:
                    output.Append(t.Text);
                    break;
                case OutputNode o:
                    output.Append(TemplateValues.Str(o.Value.Evaluate(scope)));
                    break;
                case IfNode i:
                    RenderIf(i, scope, output);
                    break;
                case ForNode f:
                    RenderFor(f, scope, output);
                    break;
                case SetNode s:
                    RenderSet(s, scope);
                    break;
                case MacroNode m:
                    scope.Set(m.Macro.Name, m.Macro);
                    break;
                case BlockNode b:
                    Render(b.Body, scope, output);
                    break;
                case LoopControlNode c:
                    throw new LoopControl(c.Break);
            }
        }
    }

    public static string CallMacro(Macro macro, List<object?> args, Dictionary<string, object?> kwargs, TemplateScope caller, int line)
    {
        var scope = caller.ForMacro();
        for (var i = 0; i < macro.Parameters.Count; i++)
        {
            var (name, fallback) = macro.Parameters[i];
            var value = i < args.Count ? args[i] : kwargs.TryGetValue(name, out var kw) ? kw : fallback?.Evaluate(scope) ?? Undefined.Instance;
            scope.Set(name, value);
        }

        var output = new StringBuilder();
        Render(macro.Body, scope, output);
        return output.ToString();
    }

    private static void RenderIf(IfNode node, TemplateScope scope, StringBuilder output)
    {
        foreach (var (condition, body) in node.Branches)
        {
            if (TemplateValues.Truthy(condition.Evaluate(scope)))
            {
                Render(body, scope, output);
                return;
            }
        }

        if (node.Else is not null)
        {
            Render(node.Else, scope, output);
        }
    }

    private static void RenderFor(ForNode node, TemplateScope scope, StringBuilder output)
    {
        var source = node.Iterable.Evaluate(scope);
        var items = (source is Dictionary<string, object?> d && node.Targets.Count == 2 ? d.Select(p => (object?)new List<object?> { p.Key, p.Value }) : TemplateValues.Iterate(source, node.Line)).ToList();
        if (node.Filter is not null)
        {
            items = items.Where(item =>
            {
                scope.Push();
                Bind(node, scope, item);
                var keep = TemplateValues.Truthy(node.Filter.Evaluate(scope));
                scope.Pop();
                return keep;
            }).ToList();
        }

        if (items.Count == 0)
        {
            if (node.Else is not null)
            {
                Render(node.Else, scope, output);
            }

            return;
        }

        for (var i = 0; i < items.Count; i++)
        {
            scope.Push();
            Bind(node, scope, items[i]);
            var index = i;
            scope.Set("loop", new Dictionary<string, object?>
            {
                ["index"] = (long)(i + 1),
                ["index0"] = (long)i,
                ["revindex"] = (long)(items.Count - i),
                ["revindex0"] = (long)(items.Count - i - 1),
                ["first"] = i == 0,
                ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count,
                ["previtem"] = i > 0 ? items[i - 1] : Undefined.Instance,
                ["nextitem"] = i < items.Count - 1 ? items[i + 1] : Undefined.Instance,
                ["cycle"] = new BoundCall("cycle", (args, _, _) => args.Count == 0 ? null : args[index % args.Count]),
            });
            try
            {
                Render(node.Body, scope, output);
            }
            catch (LoopControl control)
            {
                if (control.IsBreak)
                {
                    scope.Pop();
                    break;
                }
            }

            scope.Pop();
        }
    }

    private static void Bind(ForNode node, TemplateScope scope, object? item)
    {
        if (node.Targets.Count == 1)
        {
            scope.Set(node.Targets[0], item);
            return;
        }

        var parts = item as List<object?> ?? throw new TemplateException($"cannot unpack {TemplateValues.TypeName(item)} into {node.Targets.Count} names", node.Line);
        for (var t = 0; t < node.Targets.Count; t++)
        {
            scope.Set(node.Targets[t], t < parts.Count ? parts[t] : Undefined.Instance);
        }
    }

    private static void RenderSet(SetNode node, TemplateScope scope)
    {
        object? value;
        if (node.Block is not null)
        {
            var sb = new StringBuilder();
            Render(node.Block, scope, sb);
            value = sb.ToString();
        }
        else
        {
            value = node.Value!.Evaluate(scope);
        }

        if (node.Attribute is null)
        {
            scope.Set(node.Target, value);
            return;
        }

        switch (scope.Lookup(node.Target))
        {
            case Namespace ns:
                ns.Values[node.Attribute] = value;
                break;
            case Dictionary<string, object?> d:
                d[node.Attribute] = value;
                break;
            default:
                throw new TemplateException($"cannot set '{node.Target}.{node.Attribute}': '{node.Target}' is not a namespace", node.Line);
        }
    }
}
