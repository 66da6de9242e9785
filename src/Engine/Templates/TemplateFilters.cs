using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace InferMesh.Engine.Templates;

/// <summary>
/// jinja2's filters as chat templates use them (https://github.com/pallets/jinja/blob/main/src/jinja2/filters.py),
/// with tojson replaced by transformers' json.dumps version.
/// </summary>
internal static partial class TemplateFilters
{
    private static readonly HashSet<string> Known =
    [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "forceescape", "format", "groupby", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max",
        "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string",
        "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "wordcount",
    ];

    public static bool IsKnown(string name) => Known.Contains(name);

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginningRegex();

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();

    public static object? Apply(string name, object? value, CallArguments args)
    {
        if (value is TemplateMarkup markup)
        {
            switch (name)
            {
                case "safe" or "e" or "escape" or "string" or "default" or "d":
                    break; // Markup passes through these unchanged
                case "trim":
                    return new TemplateMarkup(TemplateMethods.Strip(markup.Text, args.Get(0, "chars"), left: true, right: true));
                case "forceescape":
                    return new TemplateMarkup(TemplateMarkup.EscapeText(markup.Text));
                case "upper" or "lower" or "capitalize" or "center": // soft_str(s).upper() etc. are Markup methods
                    return new TemplateMarkup(PythonValues.ToStr(Apply(name, markup.Text, args)));
                default:
                    value = markup.Text; // elsewhere Markup acts as its text (markupsafe keeps Markup through a few more str methods)
                    break;
            }
        }

        switch (name)
        {
            case "default" or "d":
                var useDefault = value is Undefined || (args.GetBool(1, "boolean") && !PythonValues.IsTruthy(value));
                return useDefault ? args.Get(0, "default_value", "") : value;
            case "trim": return TemplateMethods.Strip(PythonValues.ToStr(value), args.Get(0, "chars"), left: true, right: true);
            case "length" or "count": return PythonValues.Length(value);
            case "tojson": return ToJson(value, args);
            case "join": return Join(value, args);
            case "upper": return PythonCase.Upper(PythonValues.ToStr(value));
            case "lower": return PythonCase.Lower(PythonValues.ToStr(value));
            case "title": return Title(PythonValues.ToStr(value));
            case "capitalize": return PythonCase.Capitalize(PythonValues.ToStr(value));
            case "items":
                return value switch
                {
                    Undefined => new TemplateGenerator(() => []),
                    IReadOnlyDictionary<string, object?> d => new TemplateGenerator(() => d.Select(kv => (object?)new object?[] { kv.Key, PythonValues.Normalize(kv.Value) }).ToList()),
                    _ => throw new InvalidOperationException("Can only get item pairs from a mapping."),
                };
            case "selectattr" or "rejectattr": return new TemplateGenerator(() => SelectAttribute(value, args, keep: name == "selectattr"));
            case "select" or "reject": return new TemplateGenerator(() => Select(value, args, keep: name == "select"));
            case "map": return new TemplateGenerator(() => Map(value, args));
            case "first": return PythonValues.Iterate(value) is { Count: > 0 } f ? PythonValues.Normalize(f[0]) : new Undefined("No first item, sequence was empty.");
            case "last":
                return value is TemplateGenerator g ? throw new InvalidOperationException($"'{g.TypeName}' object is not reversible")
                    : PythonValues.Iterate(value) is { Count: > 0 } l ? PythonValues.Normalize(l[^1]) : new Undefined("No last item, sequence was empty.");
            case "list": return PythonValues.Iterate(value).Select(PythonValues.Normalize).ToList();
            case "string": return value is TemplateMarkup ? value : PythonValues.ToStr(value);
            case "int" or "float" when value is Undefined u: // Undefined's __int__ / __float__ raise
                throw new InvalidOperationException(u.Hint);
            case "int": return ToInt(value, args);
            case "float": return ToFloat(value, args.Get(0, "default", 0.0));
            case "replace":
                return TemplateMethods.Call(new BoundMethod(PythonValues.ToStr(value), "replace"), args);
            case "safe": return value as TemplateMarkup ?? new TemplateMarkup(PythonValues.ToStr(value));
            case "e" or "escape": return TemplateMarkup.Escape(value);
            case "forceescape": return new TemplateMarkup(TemplateMarkup.EscapeText(PythonValues.ToStr(value)));
            case "unique": return new TemplateGenerator(() => Unique(value, args));
            case "sort": return Sort(value, args);
            case "dictsort": return DictSort(value, args);
            case "reverse":
                // jinja2's do_reverse: a string reversed, else reversed(value) (an iterator), else a reversed list copy.
                return value switch
                {
                    string rs => string.Concat(PythonValues.CodePoints(rs).AsEnumerable().Reverse()),
                    TemplateGenerator => PythonValues.Iterate(value).Reverse().ToList(),
                    _ => new TemplateGenerator(PythonValues.Iterate(value).Reverse().ToList, value switch
                    {
                        object?[] => "reversed",
                        IReadOnlyDictionary<string, object?> => "dict_reversekeyiterator",
                        _ => "list_reverseiterator",
                    }),
                };
            case "abs":
                return value switch { long i => (object)Math.Abs(i), double x => Math.Abs(x), bool b => b ? 1L : 0L, _ => throw new InvalidOperationException($"bad operand type for abs(): '{PythonValues.TypeName(value)}'") };
            case "round": return Round(value, args);
            case "wordcount": return (long)WordRegex().Count(PythonValues.ToStr(value));
            case "indent": return Indent(PythonValues.ToStr(value), args);
            case "center": return Center(PythonValues.ToStr(value), (int)args.GetLong(0, "width", 80));
            case "attr": // getattr only: a dict's keys are items, not attributes
                var attributeName = args.GetString(0, "name");
                return value is IReadOnlyDictionary<string, object?> && !PythonOperators.IsDictMethod(attributeName)
                    ? new Undefined($"'dict object' has no attribute '{attributeName}'")
                    : PythonOperators.GetAttribute(value, attributeName);
            case "sum": return PythonValues.Iterate(value).Select(x => Path(x, args.Get(0, "attribute") as string))
                .Aggregate(args.Get(1, "start", 0L), (acc, x) => PythonOperators.Binary(BinaryOperator.Add, acc, x));
            case "min" or "max": return MinMax(value, args, name == "max");
            case "format": // jinja2's do_format: value % (kwargs or args)
                return PythonFormat.Percent(PythonValues.ToStr(value), args.Keywords.Length > 0
                    ? new OrderedDictionary<string, object?>(args.Keywords, StringComparer.Ordinal)
                    : args.Positional);
            case "groupby": return GroupBy(value, args);
            case "batch": return new TemplateGenerator(() => Batch(value, args));
            case "slice": return new TemplateGenerator(() => SliceInto(value, args));
            case "truncate": return Truncate(PythonValues.ToStr(value), args);
            default: throw new InvalidOperationException($"unknown filter '{name}'");
        }
    }

    /// <summary>transformers' tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).</summary>
    private static string ToJson(object? value, CallArguments args)
    {
        var indent = args.Get(1, "indent") switch
        {
            null => null,
            string s => s,
            var n => new string(' ', (int)PythonValues.ToLong(n)),
        };
        string? itemSeparator = null, keySeparator = null;
        if (args.Get(2, "separators") is IReadOnlyList<object?> { Count: 2 } separators)
        {
            itemSeparator = PythonValues.ToStr(separators[0]);
            keySeparator = PythonValues.ToStr(separators[1]);
        }

        return PythonJson.Dumps(value, indent, args.GetBool(0, "ensure_ascii"), args.GetBool(3, "sort_keys"), itemSeparator, keySeparator);
    }

    private static string Join(object? value, CallArguments args)
    {
        var attribute = args.Get(1, "attribute") as string;
        var items = PythonValues.Iterate(value).Select(x => PythonValues.ToStr(attribute is null ? PythonValues.Normalize(x) : Path(x, attribute)));
        return string.Join(args.GetString(0, "d"), items);
    }

    /// <summary>jinja2's make_attrgetter: "a.b.0" walks attributes/items, integer parts index.</summary>
    public static object? Path(object? item, string? path)
    {
        item = PythonValues.Normalize(item);
        if (path is null)
        {
            return item;
        }

        foreach (var part in path.Split('.'))
        {
            item = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                ? PythonOperators.GetItem(item, index)
                : PythonOperators.GetItem(item, part);
        }

        return item;
    }

    /// <summary>jinja2's do_int: int(value, base) for strings, int(value) otherwise, then int(float(value)), else the default.</summary>
    private static object? ToInt(object? value, CallArguments args)
    {
        var fallback = args.Get(0, "default", 0L);
        switch (value)
        {
            case long or bool: return PythonValues.ToLong(value);
            case double d: return FloatToInt(d, fallback);
            case string s:
                if (PythonNumbers.TryParseInt(s, (int)args.GetLong(1, "base", 10), out var parsed))
                {
                    return parsed;
                }

                return PythonNumbers.TryParseFloat(s, out var f) ? FloatToInt(f, fallback) : fallback;
            default: return fallback;
        }
    }

    private static object? FloatToInt(double d, object? fallback) =>
        double.IsNaN(d) ? fallback
        : double.IsInfinity(d) ? throw new InvalidOperationException("cannot convert float infinity to integer")
        : Math.Abs(d) < 9.2e18 ? (long)d
        : throw new InvalidOperationException($"integer {PythonValues.Repr(d)} does not fit in 64 bits (Python ints are unbounded)");

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        double d => d,
        long or bool => PythonValues.ToDouble(value),
        string s when PythonNumbers.TryParseFloat(s, out var d) => d,
        _ => fallback,
    };

    /// <summary>jinja2's do_title: each word (split at whitespace, '-' and opening brackets) upper-cases its first character.</summary>
    private static string Title(string s) =>
        string.Concat(WordBeginningRegex().Split(s).Where(w => w.Length > 0).Select(w =>
        {
            var first = char.IsHighSurrogate(w[0]) && w.Length > 1 ? 2 : 1;
            return PythonCase.Upper(w[..first]) + PythonCase.Lower(w[first..]);
        }));

    /// <summary>jinja2's do_round: Python's round(value, precision) for "common", else math.ceil/floor(value * 10**p) / 10**p.</summary>
    private static object? Round(object? value, CallArguments args)
    {
        var precision = (int)args.GetLong(0, "precision", 0);
        var method = args.GetString(1, "method", "common");
        if (method == "common")
        {
            return value is long or bool ? PythonNumbers.Round(PythonValues.ToLong(value), precision) : (object)PythonNumbers.Round(PythonValues.ToDouble(value), precision);
        }

        var scale = Math.Pow(10, precision);
        var scaled = PythonValues.ToDouble(value) * scale;
        return method switch
        {
            "ceil" => Math.Ceiling(scaled) / scale,
            "floor" => Math.Floor(scaled) / scale,
            _ => throw new InvalidOperationException("method must be common, ceil or floor"),
        };
    }

    /// <summary>jinja2's indent(width=4, first=False, blank=False).</summary>
    private static string Indent(string s, CallArguments args)
    {
        var width = args.Get(0, "width", 4L);
        var indention = width is string w ? w : new string(' ', (int)PythonValues.ToLong(width));
        var lines = (s + "\n").Split('\n').SkipLast(1).ToList(); // splitlines() after appending the quirk newline
        string result;
        if (args.GetBool(2, "blank"))
        {
            result = string.Join("\n" + indention, lines);
        }
        else
        {
            result = lines[0];
            if (lines.Count > 1)
            {
                result += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indention + l : l));
            }
        }

        return args.GetBool(1, "first") ? indention + result : result;
    }

    /// <summary>jinja2's truncate(length=255, killwords=False, end='...', leeway=5).</summary>
    private static string Truncate(string s, CallArguments args)
    {
        var length = (int)args.GetLong(0, "length", 255);
        var end = args.GetString(2, "end", "...");
        var leeway = (int)args.GetLong(3, "leeway", 5);
        if (length < end.Length)
        {
            throw new InvalidOperationException($"expected length >= {end.Length}, got {length}");
        }

        var codePoints = PythonValues.CodePoints(s);
        if (codePoints.Count <= length + leeway)
        {
            return s;
        }

        var head = string.Concat(codePoints.Take(length - end.Length));
        if (!args.GetBool(1, "killwords"))
        {
            var space = head.LastIndexOf(' ');
            head = space >= 0 ? head[..space] : head;
        }

        return head + end;
    }

    /// <summary>Python's str.center (extra padding goes left when the width is odd, as CPython's pad_center).</summary>
    private static string Center(string s, int width)
    {
        var margin = width - s.Length;
        if (margin <= 0)
        {
            return s;
        }

        var left = (margin / 2) + (margin & width & 1);
        return new string(' ', left) + s + new string(' ', margin - left);
    }
}
