namespace InferMesh.Engine.Templates;

/// <summary>A template that cannot be parsed or rendered; the message names the template line.</summary>
public sealed class TemplateException(string message, int line, Exception? innerException = null)
    : Exception($"chat template line {line}: {message}", innerException)
{
    /// <summary>The 1-based template line the problem is on.</summary>
    public int Line { get; } = line;

    /// <summary>What went wrong, without the line prefix; for raise_exception(msg) exactly msg.</summary>
    public string Reason { get; } = message;
}
