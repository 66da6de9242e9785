namespace InferMesh.Engine.Templates;

internal enum TokenKind
{
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    EndOfTemplate,
}

/// <summary>One lexed token; <see cref="Value"/> is the text of a name/operator/number, or the unescaped string literal.</summary>
internal readonly record struct TemplateToken(TokenKind Kind, string Value, int Line)
{
    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    public string Describe() => Kind switch
    {
        TokenKind.EndOfTemplate => "end of template",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}
