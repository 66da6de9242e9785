namespace InferMesh.Engine.Templates;

/// <summary>Variable scopes of a render: globals, then one frame per for-loop body or macro call.</summary>
internal sealed class TemplateScope
{
    private readonly List<Dictionary<string, object?>> _frames;

    public TemplateScope(Dictionary<string, object?> globals) => _frames = [globals];

    private TemplateScope(List<Dictionary<string, object?>> frames) => _frames = frames;

    public object? Lookup(string name)
    {
        for (var i = _frames.Count - 1; i >= 0; i--)
        {
            if (_frames[i].TryGetValue(name, out var v))
            {
                return v;
            }
        }

        return TemplateBuiltins.Global(name) ?? Undefined.Instance;
    }

    public void Set(string name, object? value) => _frames[^1][name] = value;

    public void Push() => _frames.Add([]);

    public void Pop() => _frames.RemoveAt(_frames.Count - 1);

    /// <summary>A scope for a macro body: the template's globals plus the macro's own frame.</summary>
    public TemplateScope ForMacro() => new([_frames[0], []]);
}
