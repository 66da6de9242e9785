namespace InferMesh.Engine.Templates;

/// <summary>A template that cannot be parsed or rendered; the message names the template line.</summary>
public sealed class TemplateException(string message, int line) : Exception($"chat template line {line}: {message}")
{
    public int Line { get; } = line;
}
