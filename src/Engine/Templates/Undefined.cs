namespace InferMesh.Engine.Templates;

/// <summary>Jinja's Undefined: renders as empty, is falsy, and any attribute of it is undefined again.</summary>
internal sealed class Undefined
{
    public static Undefined Instance { get; } = new();

    private Undefined()
    {
    }

    public override string ToString() => "";
}
