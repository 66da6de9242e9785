namespace InferMesh.Engine.Templates;

/// <summary>
/// jinja2's tests (<c>x is defined</c>, <c>x is string</c>, <c>select('equalto', y)</c> ...), with Python's type rules:
/// https://github.com/pallets/jinja/blob/main/src/jinja2/tests.py
/// </summary>
internal static class TemplateTests
{
    private static readonly HashSet<string> Known =
    [
        "defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence", "boolean",
        "true", "false", "equalto", "eq", "==", "ne", "!=", "lt", "<", "lessthan", "le", "<=", "gt", ">", "greaterthan", "ge", ">=",
        "in", "odd", "even", "divisibleby", "sameas", "callable", "lower", "upper", "escaped", "filter", "test",
    ];

    public static bool IsKnown(string name) => Known.Contains(name);

    public static bool Apply(string name, object? value, CallArguments args)
    {
        if (!Known.Contains(name))
        {
            throw new InvalidOperationException($"unknown test '{name}'");
        }

        object? Other() => args.TryGet(0, "other", out var o) ? o : throw new InvalidOperationException($"test '{name}' needs an argument");

        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "string" => value is string,
            "number" => value is long or double or bool,
            "integer" => value is long,
            "float" => value is double,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "mapping" => value is IReadOnlyDictionary<string, object?> or TemplateNamespace,
            "iterable" => value is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?> or Undefined,
            "sequence" => value is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?>,
            "callable" => value is TemplateMacro or BuiltinFunction or BoundMethod,
            "equalto" or "eq" or "==" => PythonValues.AreEqual(value, Other()),
            "ne" or "!=" => !PythonValues.AreEqual(value, Other()),
            "lt" or "<" or "lessthan" => PythonValues.Compare(value, Other()) < 0,
            "le" or "<=" => PythonValues.Compare(value, Other()) <= 0,
            "gt" or ">" or "greaterthan" => PythonValues.Compare(value, Other()) > 0,
            "ge" or ">=" => PythonValues.Compare(value, Other()) >= 0,
            "in" => PythonValues.Contains(args.Get(0, "seq"), value),
            "odd" => PythonValues.ToLong(value) % 2 != 0,
            "even" => PythonValues.ToLong(value) % 2 == 0,
            "divisibleby" => PythonValues.ToLong(value) % PythonValues.ToLong(args.Get(0, "num")) == 0,
            "sameas" => SameAs(value, args.Get(0, "other")),
            "lower" => value is string s && s == s.ToLowerInvariant(),
            "upper" => value is string u && u == u.ToUpperInvariant(),
            "filter" => value is string f && TemplateFilters.IsKnown(f),
            "test" => value is string t && IsKnown(t),
            _ => false, // escaped: nothing is Markup here
        };
    }

    /// <summary>Python's <c>is</c>: identity, which for None/True/False and small values means equal value and type.</summary>
    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        (string x, string y) => ReferenceEquals(x, y) || x == y,
        _ => ReferenceEquals(a, b),
    };
}
