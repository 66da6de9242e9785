namespace InferMesh.Engine.Templates;

/// <summary>A parsed expression; evaluation follows Jinja/Python semantics.</summary>
internal abstract record Expr(int Line)
{
    public abstract object? Evaluate(TemplateScope scope);
}

internal sealed record LiteralExpr(object? Value, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) => Value;
}

internal sealed record NameExpr(string Name, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) => scope.Lookup(Name);
}

internal sealed record ListExpr(List<Expr> Items, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) => Items.Select(i => i.Evaluate(scope)).ToList();
}

internal sealed record DictExpr(List<(Expr Key, Expr Value)> Items, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) =>
        Items.ToDictionary(i => TemplateValues.Str(i.Key.Evaluate(scope)), i => i.Value.Evaluate(scope));
}

internal sealed record AttributeExpr(Expr Target, string Name, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) => TemplateBuiltins.GetAttribute(Target.Evaluate(scope), Name, Line);
}

internal sealed record ItemExpr(Expr Target, Expr Index, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) => TemplateBuiltins.GetItem(Target.Evaluate(scope), Index.Evaluate(scope), Line);
}

internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) =>
        TemplateBuiltins.Slice(Target.Evaluate(scope), Start?.Evaluate(scope), Stop?.Evaluate(scope), Step?.Evaluate(scope), Line);
}

internal sealed record CallExpr(Expr Target, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope)
    {
        var target = Target.Evaluate(scope);
        var args = Args.Select(a => a.Evaluate(scope)).ToList();
        var kwargs = Kwargs.ToDictionary(k => k.Name, k => k.Value.Evaluate(scope));
        return target switch
        {
            BoundCall call => call.Invoke(args, kwargs, Line),
            Macro macro => TemplateRenderer.CallMacro(macro, args, kwargs, scope, Line),
            _ => throw new TemplateException($"{Describe(Target)} is not callable", Line),
        };
    }

    private static string Describe(Expr e) => e switch
    {
        NameExpr n => $"'{n.Name}'",
        AttributeExpr a => $"'.{a.Name}'",
        _ => "the expression",
    };
}

internal sealed record FilterExpr(Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) =>
        TemplateBuiltins.Filter(Name, Value.Evaluate(scope), Args.Select(a => a.Evaluate(scope)).ToList(), Kwargs.ToDictionary(k => k.Name, k => k.Value.Evaluate(scope)), Line);
}

internal sealed record TestExpr(Expr Value, string Name, List<Expr> Args, bool Negated, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) =>
        Negated ^ TemplateBuiltins.Test(Name, Value.Evaluate(scope), Args.Select(a => a.Evaluate(scope)).ToList(), Line);
}

internal sealed record UnaryExpr(string Op, Expr Operand, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope)
    {
        var v = Operand.Evaluate(scope);
        return Op switch
        {
            "not" => !TemplateValues.Truthy(v),
            "-" => v switch { long l => (object)(-l), double d => -d, _ => throw new TemplateException($"cannot negate {TemplateValues.TypeName(v)}", Line) },
            _ => v,
        };
    }
}

internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope)
    {
        if (Op == "and")
        {
            var l = Left.Evaluate(scope);
            return TemplateValues.Truthy(l) ? Right.Evaluate(scope) : l;
        }

        if (Op == "or")
        {
            var l = Left.Evaluate(scope);
            return TemplateValues.Truthy(l) ? l : Right.Evaluate(scope);
        }

        return TemplateBuiltins.Binary(Op, Left.Evaluate(scope), Right.Evaluate(scope), Line);
    }
}

internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else, int Line) : Expr(Line)
{
    public override object? Evaluate(TemplateScope scope) =>
        TemplateValues.Truthy(Condition.Evaluate(scope)) ? Then.Evaluate(scope) : Else?.Evaluate(scope) ?? Undefined.Instance;
}
