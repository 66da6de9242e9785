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

    private static readonly HashSet<string> NoArguments =
    [
        "defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence", "boolean",
        "true", "false", "odd", "even", "callable", "lower", "upper", "escaped", "filter", "test",
    ];

    public static bool IsKnown(string name) => Known.Contains(name);

    public static bool Apply(string name, object? value, CallArguments args)
    {
        if (!Known.Contains(name))
        {
            throw new InvalidOperationException($"unknown test '{name}'");
        }

        if (name == "escaped")
        {
            return value is TemplateMarkup;
        }

        value = PythonValues.Unmark(value);

        if (args.Count + args.Keywords.Length > 0 && NoArguments.Contains(name))
        {
            throw new InvalidOperationException($"test_{name}() takes 1 positional argument but {1 + args.Count + args.Keywords.Length} were given");
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
            "iterable" => value is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?> or Undefined or TemplateGenerator,
            "sequence" => value is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?>,
            "callable" => value is TemplateMacro or BuiltinFunction or BoundMethod,
            "equalto" or "eq" or "==" => PythonValues.AreEqual(value, Other()),
            "ne" or "!=" => !PythonValues.AreEqual(value, Other()),
            "lt" or "<" or "lessthan" => PythonValues.Compare(value, Other()) < 0,
            "le" or "<=" => PythonValues.Compare(value, Other()) <= 0,
            "gt" or ">" or "greaterthan" => PythonValues.Compare(value, Other()) > 0,
            "ge" or ">=" => PythonValues.Compare(value, Other()) >= 0,
            "in" => PythonValues.Contains(args.Get(0, "seq"), value),
            // value % 2 == 1 and friends with Python's modulo, so 2.5 is neither odd nor even.
            "odd" => PythonValues.AreEqual(PythonOperators.Binary(BinaryOperator.Modulo, value, 2L), 1L),
            "even" => PythonValues.AreEqual(PythonOperators.Binary(BinaryOperator.Modulo, value, 2L), 0L),
            "divisibleby" => PythonValues.AreEqual(PythonOperators.Binary(BinaryOperator.Modulo, value, args.Get(0, "num")), 0L),
            "sameas" => SameAs(value, args.Get(0, "other")),
            "lower" => PythonCase.IsLower(PythonValues.ToStr(value)),
            "upper" => PythonCase.IsUpper(PythonValues.ToStr(value)),
            "filter" => value is string f && TemplateFilters.IsKnown(f),
            "test" => value is string t && IsKnown(t),
            _ => false,
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
