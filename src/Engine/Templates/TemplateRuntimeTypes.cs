namespace InferMesh.Engine.Templates;

/// <summary>
/// jinja2's Undefined: a missing variable, key or attribute. It renders as '', is falsy and iterates as empty, but
/// attribute/item access and arithmetic on it fail (as in jinja2's default Undefined, which transformers uses).
/// </summary>
internal sealed class Undefined(string hint)
{
    /// <summary>What was missing, e.g. "'tools' is undefined" or "'dict object' has no attribute 'content'".</summary>
    public string Hint { get; } = hint;
}

/// <summary>jinja2's <c>namespace(...)</c>: the one object whose attributes a template may assign, across loop scopes.</summary>
internal sealed class TemplateNamespace
{
    public OrderedDictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>A <c>{% macro %}</c> bound to the scope it was defined in.</summary>
internal sealed class TemplateMacro(MacroNode node, TemplateScope closure)
{
    public MacroNode Node { get; } = node;

    public TemplateScope Closure { get; } = closure;
}

/// <summary>A global function of the template environment (raise_exception, strftime_now, namespace, range, dict).</summary>
internal sealed class BuiltinFunction(string name)
{
    public static readonly BuiltinFunction RaiseException = new("raise_exception");
    public static readonly BuiltinFunction StrftimeNow = new("strftime_now");
    public static readonly BuiltinFunction Namespace = new("namespace");
    public static readonly BuiltinFunction Range = new("range");
    public static readonly BuiltinFunction Dict = new("dict");

    public string Name { get; } = name;

    public static BuiltinFunction? Find(string name) => name switch
    {
        "raise_exception" => RaiseException,
        "strftime_now" => StrftimeNow,
        "namespace" => Namespace,
        "range" => Range,
        "dict" => Dict,
        _ => null,
    };
}

/// <summary>A method looked up on a value but not yet called, e.g. <c>content.strip</c> in <c>content.strip()</c>.</summary>
internal sealed class BoundMethod(object? target, string name)
{
    public object? Target { get; } = target;

    public string Name { get; } = name;
}

/// <summary>The <c>loop</c> variable of a for loop; one instance per loop, advanced in place.</summary>
internal sealed class LoopState(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;

    public int Index0 { get; set; }

    public int Depth0 { get; init; }

    public object? Get(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "first" => Index0 == 0,
        "last" => Index0 == Items.Count - 1,
        "length" => (long)Items.Count,
        "revindex" => (long)(Items.Count - Index0),
        "revindex0" => (long)(Items.Count - Index0 - 1),
        "previtem" => Index0 > 0 ? Items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 + 1 < Items.Count ? Items[Index0 + 1] : new Undefined("there is no next item"),
        "depth" => (long)Depth0 + 1,
        "depth0" => (long)Depth0,
        "cycle" => new BoundMethod(this, "cycle"),
        _ => new Undefined($"'loop' has no attribute '{name}'"),
    };
}

/// <summary>A variable scope: the template's top level, a for-loop iteration, or a macro call.</summary>
internal sealed class TemplateScope(TemplateScope? parent, IReadOnlyDictionary<string, object?>? variables = null)
{
    private readonly IReadOnlyDictionary<string, object?>? _variables = variables;
    private Dictionary<string, object?>? _locals;

    public TemplateScope? Parent { get; } = parent;

    /// <summary>Looks a name up through enclosing scopes, then the caller's render variables (held by the top scope).</summary>
    public bool TryGet(string name, out object? value)
    {
        var scope = this;
        while (true)
        {
            if (scope._locals is not null && scope._locals.TryGetValue(name, out value))
            {
                return true;
            }

            if (scope.Parent is null)
            {
                break;
            }

            scope = scope.Parent;
        }

        if (scope._variables is not null && scope._variables.TryGetValue(name, out value))
        {
            return true;
        }

        value = null;
        return false;
    }

    public void Set(string name, object? value) => (_locals ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = value;

    public void Clear() => _locals?.Clear();
}
