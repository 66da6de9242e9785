namespace InferMesh.Engine.Templates;

// The statement tree a template parses into. Every node keeps its template line for error messages.

internal abstract record TemplateNode(int Line);

internal sealed record TextNode(string Text, int Line) : TemplateNode(Line);

internal sealed record OutputNode(Expr Value, int Line) : TemplateNode(Line);

internal sealed record IfBranch(Expr Condition, TemplateNode[] Body);

internal sealed record IfNode(IfBranch[] Branches, TemplateNode[]? ElseBody, int Line) : TemplateNode(Line);

/// <summary><c>{% for a, b in iterable if filter %}body{% else %}elseBody{% endfor %}</c>.</summary>
internal sealed record ForNode(string[] Targets, Expr Iterable, Expr? Filter, TemplateNode[] Body, TemplateNode[]? ElseBody, int Line)
    : TemplateNode(Line);

/// <summary><c>{% set a = v %}</c>, <c>{% set a, b = v %}</c>, or with <see cref="Attribute"/> <c>{% set ns.attr = v %}</c>.</summary>
internal sealed record SetNode(string[] Targets, string? Attribute, Expr Value, int Line) : TemplateNode(Line);

/// <summary><c>{% set name %}body{% endset %}</c>: the rendered body is assigned.</summary>
internal sealed record SetBlockNode(string Name, TemplateNode[] Body, int Line) : TemplateNode(Line);

internal sealed record MacroParameter(string Name, Expr? Default);

internal sealed record MacroNode(string Name, MacroParameter[] Parameters, TemplateNode[] Body, int Line) : TemplateNode(Line);

/// <summary>transformers' <c>{% generation %}</c> extension (marks assistant tokens); renders its body unchanged.</summary>
internal sealed record GenerationNode(TemplateNode[] Body, int Line) : TemplateNode(Line);

/// <summary><c>{% break %}</c> / <c>{% continue %}</c> (jinja2.ext.loopcontrols, which transformers enables).</summary>
internal sealed record LoopControlNode(bool IsBreak, int Line) : TemplateNode(Line);

// Expressions.

internal abstract record Expr(int Line);

internal sealed record ConstExpr(object? Value, int Line) : Expr(Line);

internal sealed record NameExpr(string Name, int Line) : Expr(Line);

internal sealed record AttributeExpr(Expr Target, string Name, int Line) : Expr(Line);

internal sealed record ItemExpr(Expr Target, Expr Key, int Line) : Expr(Line);

internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);

internal sealed record Argument(string? Name, Expr Value);

internal sealed record CallExpr(Expr Callee, Argument[] Arguments, int Line) : Expr(Line);

internal sealed record FilterExpr(Expr Target, string Name, Argument[] Arguments, int Line) : Expr(Line);

internal sealed record TestExpr(Expr Target, string Name, Argument[] Arguments, bool Negated, int Line) : Expr(Line);

internal enum BinaryOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
    FloorDivide,
    Modulo,
    Power,
    Concat,
}

internal sealed record BinaryExpr(BinaryOperator Operator, Expr Left, Expr Right, int Line) : Expr(Line);

internal enum CompareOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    In,
    NotIn,
}

internal sealed record Comparison(CompareOperator Operator, Expr Right);

/// <summary>A Python comparison chain: <c>a &lt; b &lt;= c</c>.</summary>
internal sealed record CompareExpr(Expr First, Comparison[] Rest, int Line) : Expr(Line);

internal sealed record AndExpr(Expr Left, Expr Right, int Line) : Expr(Line);

internal sealed record OrExpr(Expr Left, Expr Right, int Line) : Expr(Line);

internal sealed record NotExpr(Expr Operand, int Line) : Expr(Line);

internal sealed record NegateExpr(Expr Operand, bool Positive, int Line) : Expr(Line);

internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else, int Line) : Expr(Line);

internal sealed record ListExpr(Expr[] Items, int Line) : Expr(Line);

internal sealed record TupleExpr(Expr[] Items, int Line) : Expr(Line);

internal sealed record DictExpr(KeyValuePair<Expr, Expr>[] Entries, int Line) : Expr(Line);
