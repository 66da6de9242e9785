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

/// <summary>
/// markupsafe's Markup, which jinja2's <c>safe</c> and <c>escape</c> filters return even with autoescape off (as in
/// transformers). It prints as its text, but <c>+</c> with a plain string HTML-escapes that string first
/// (Markup.__add__ / __radd__), so <c>'{"a": ' + (x|tojson|safe)</c> renders <c>{&amp;#34;a&amp;#34;: ...</c> as transformers does.
/// Other operations treat it as its plain text.
/// </summary>
internal sealed class TemplateMarkup(string text)
{
    public string Text { get; } = text;

    /// <summary>markupsafe.escape: &amp; &lt; &gt; " ' as entities; Markup passes through unchanged.</summary>
    public static TemplateMarkup Escape(object? value) => value as TemplateMarkup ?? new TemplateMarkup(EscapeText(PythonValues.ToStr(value)));

    public static string EscapeText(string s) =>
        s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
}

/// <summary>
/// What jinja2's select, reject, selectattr, rejectattr, map, unique, items, batch and slice filters return (a Python
/// generator) and reverse returns for a list (a reverse iterator): always truthy, without len() or indexing, and used up
/// by one pass — so <c>{% if xs | select('odd') %}</c> holds even when nothing is selected, as in transformers.
/// Its items are computed when first iterated (so errors surface there, as a generator's do). <c>| list</c> turns one
/// into a list.
/// </summary>
internal sealed class TemplateGenerator(Func<List<object?>> produce, string typeName = "generator")
{
    private Func<List<object?>>? _produce = produce;

    public string TypeName { get; } = typeName;

    /// <summary>The items, computed now; empty on every later pass, as a generator is.</summary>
    public List<object?> Consume()
    {
        var produce = _produce;
        _produce = null;
        return produce is null ? [] : produce();
    }
}

/// <summary>An item of jinja2's groupby filter: a tuple (grouper, list) whose parts are also attributes.</summary>
internal sealed class GroupTuple(object? grouper, List<object?> list) : IReadOnlyList<object?>
{
    public object? Grouper { get; } = grouper;

    public List<object?> List { get; } = list;

    public int Count => 2;

    public object? this[int index] => index switch
    {
        0 => Grouper,
        1 => List,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<object?> GetEnumerator()
    {
        yield return Grouper;
        yield return List;
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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

    private object? _lastChanged = new Undefined("loop.changed was not called yet");

    /// <summary>loop.changed(*values): true when the values differ from those of the previous call.</summary>
    public bool Changed(object? values)
    {
        var changed = _lastChanged is Undefined || !PythonValues.AreEqual(_lastChanged, values);
        _lastChanged = values;
        return changed;
    }

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
        "cycle" or "changed" => new BoundMethod(this, name),
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
