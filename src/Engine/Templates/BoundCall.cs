namespace InferMesh.Engine.Templates;

/// <summary>Something callable from a template: a global function, a bound string/dict/list method, or a macro.</summary>
internal sealed class BoundCall(string name, Func<List<object?>, Dictionary<string, object?>, int, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(List<object?> args, Dictionary<string, object?> kwargs, int line) => invoke(args, kwargs, line);
}
