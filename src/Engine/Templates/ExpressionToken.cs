namespace InferMesh.Engine.Templates;

internal enum ExpressionTokenKind
{
    Name,
    Number,
    String,
    Operator,
    End,
}

/// <summary>One token of an expression; <see cref="Value"/> holds the literal of numbers and strings.</summary>
internal sealed record ExpressionToken(ExpressionTokenKind Kind, string Text, object? Value = null)
{
    public bool Is(string op) => Kind is ExpressionTokenKind.Operator or ExpressionTokenKind.Name && Text == op;
}
