namespace InferMesh.Engine.Templates;

/// <summary>A statement of a parsed template.</summary>
internal abstract record TemplateNode(int Line);

internal sealed record TextNode(string Text, int Line) : TemplateNode(Line);

internal sealed record OutputNode(Expr Value, int Line) : TemplateNode(Line);

internal sealed record IfNode(List<(Expr Condition, List<TemplateNode> Body)> Branches, List<TemplateNode>? Else, int Line) : TemplateNode(Line);

internal sealed record ForNode(List<string> Targets, Expr Iterable, Expr? Filter, List<TemplateNode> Body, List<TemplateNode>? Else, int Line) : TemplateNode(Line);

internal sealed record SetNode(string Target, string? Attribute, Expr? Value, List<TemplateNode>? Block, int Line) : TemplateNode(Line);

internal sealed record MacroNode(Macro Macro, int Line) : TemplateNode(Line);

internal sealed record LoopControlNode(bool Break, int Line) : TemplateNode(Line);

/// <summary>{% generation %} and similar wrappers transformers understands: the body renders as is.</summary>
internal sealed record BlockNode(List<TemplateNode> Body, int Line) : TemplateNode(Line);
