namespace InferMesh.Engine.Templates;

/// <summary>
/// A template that cannot be parsed or rendered; the message names the template line (and column when known), or says
/// which variable could not be given to the template (line 0: before rendering began).
/// </summary>
public sealed class TemplateException : Exception
{
    public TemplateException(string message, int line, Exception? innerException = null)
        : this(message, line, 0, innerException)
    {
    }

    public TemplateException(string message, int line, int column, Exception? innerException = null)
        : base(column > 0 ? $"chat template line {line}, column {column}: {message}" : line > 0 ? $"chat template line {line}: {message}" : $"chat template: {message}", innerException)
    {
        Line = line;
        Column = column;
        Reason = message;
    }

    /// <summary>The 1-based template line the problem is on; 0 for a variable that could not be given to the template.</summary>
    public int Line { get; }

    /// <summary>The 1-based column of the offending token for syntax errors; 0 when not known (errors while rendering).</summary>
    public int Column { get; }

    /// <summary>What went wrong, without the line prefix; for raise_exception(msg) exactly msg.</summary>
    public string Reason { get; }
}
