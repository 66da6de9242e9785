namespace InferMesh.Engine.Templates;

/// <summary>Jinja's namespace(): a mutable bag whose attributes can be assigned from inside loops.</summary>
internal sealed class Namespace(Dictionary<string, object?> values)
{
    public Dictionary<string, object?> Values { get; } = values;
}
