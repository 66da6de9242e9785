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
        "abs", "attr", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "format",
        "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim",
        "unique", "upper", "wordcount",
    ];

    public static bool IsKnown(string name) => Known.Contains(name);

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginningRegex();

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();

    public static object? Apply(string name, object? value, CallArguments args)
    {
        switch (name)
        {
            case "default" or "d":
                var useDefault = value is Undefined || (args.GetBool(1, "boolean") && !PythonValues.IsTruthy(value));
                return useDefault ? args.Get(0, "default_value", "") : value;
            case "trim": return TemplateMethods.Strip(PythonValues.ToStr(value), args.Get(0, "chars"), left: true, right: true);
            case "length" or "count": return PythonValues.Length(value);
            case "tojson": return ToJson(value, args);
            case "join": return Join(value, args);
            case "upper": return PythonValues.ToStr(value).ToUpperInvariant();
            case "lower": return PythonValues.ToStr(value).ToLowerInvariant();
            case "title": return Title(PythonValues.ToStr(value));
            case "capitalize":
                var text = PythonValues.ToStr(value);
                return text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();
            case "items":
                return value switch
                {
                    Undefined => new List<object?>(),
                    IReadOnlyDictionary<string, object?> d => d.Select(kv => (object?)new object?[] { kv.Key, PythonValues.Normalize(kv.Value) }).ToList(),
                    _ => throw new InvalidOperationException("Can only get item pairs from a mapping."),
                };
            case "selectattr" or "rejectattr": return SelectAttribute(value, args, keep: name == "selectattr");
            case "select" or "reject": return Select(value, args, keep: name == "select");
            case "map": return Map(value, args);
            case "first": return PythonValues.Iterate(value) is { Count: > 0 } f ? PythonValues.Normalize(f[0]) : new Undefined("No first item, sequence was empty.");
            case "last": return PythonValues.Iterate(value) is { Count: > 0 } l ? PythonValues.Normalize(l[^1]) : new Undefined("No last item, sequence was empty.");
            case "list": return PythonValues.Iterate(value).Select(PythonValues.Normalize).ToList();
            case "string": return PythonValues.ToStr(value);
            case "int": return ToInt(value, args);
            case "float": return ToFloat(value, args.Get(0, "default", 0.0));
            case "replace":
                return TemplateMethods.Call(new BoundMethod(PythonValues.ToStr(value), "replace"), args);
            case "safe": return value;
            case "e" or "escape": return value is null ? "None" : Escape(PythonValues.ToStr(value));
            case "unique": return Unique(value, args);
            case "sort": return Sort(value, args);
            case "dictsort": return DictSort(value, args);
            case "reverse":
                return value is string rs ? string.Concat(PythonValues.CodePoints(rs).AsEnumerable().Reverse()) : PythonValues.Iterate(value).Reverse().ToList();
            case "abs":
                return value switch { long i => (object)Math.Abs(i), double x => Math.Abs(x), bool b => b ? 1L : 0L, _ => throw new InvalidOperationException($"bad operand type for abs(): '{PythonValues.TypeName(value)}'") };
            case "round": return Round(value, args);
            case "wordcount": return (long)WordRegex().Count(PythonValues.ToStr(value));
            case "indent": return Indent(PythonValues.ToStr(value), args);
            case "center": return Center(PythonValues.ToStr(value), (int)args.GetLong(0, "width", 80));
            case "attr": return PythonOperators.GetAttribute(value, args.GetString(0, "name"));
            case "sum": return PythonValues.Iterate(value).Select(x => Path(x, args.Get(0, "attribute") as string))
                .Aggregate(args.Get(1, "start", 0L), (acc, x) => PythonOperators.Binary(BinaryOperator.Add, acc, x));
            case "min" or "max": return MinMax(value, args, name == "max");
            case "format": return PercentFormat(PythonValues.ToStr(value), args);
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

    private static List<object?> SelectAttribute(object? value, CallArguments args, bool keep)
    {
        var attribute = args.GetString(0, "attr");
        var test = args.Count > 1 ? PythonValues.ToStr(args.Positional[1]) : null;
        var testArgs = args.Skip(2);
        return PythonValues.Iterate(value).Select(PythonValues.Normalize).Where(item =>
        {
            var field = Path(item, attribute);
            var pass = test is null ? PythonValues.IsTruthy(field) : TemplateTests.Apply(test, field, testArgs);
            return pass == keep;
        }).ToList();
    }

    private static List<object?> Select(object? value, CallArguments args, bool keep)
    {
        var test = args.Count > 0 ? PythonValues.ToStr(args.Positional[0]) : null;
        var testArgs = args.Skip(1);
        return PythonValues.Iterate(value).Select(PythonValues.Normalize)
            .Where(item => (test is null ? PythonValues.IsTruthy(item) : TemplateTests.Apply(test, item, testArgs)) == keep).ToList();
    }

    private static List<object?> Map(object? value, CallArguments args)
    {
        var items = PythonValues.Iterate(value).Select(PythonValues.Normalize);
        if (args.TryGet(-1, "attribute", out var attribute))
        {
            var hasDefault = args.TryGet(-1, "default", out var fallback);
            return items.Select(item => Path(item, PythonValues.ToStr(attribute)) is Undefined && hasDefault ? fallback : Path(item, PythonValues.ToStr(attribute))).ToList();
        }

        if (args.Count == 0)
        {
            throw new InvalidOperationException("map needs a filter name or attribute=");
        }

        var filter = PythonValues.ToStr(args.Positional[0]);
        var filterArgs = args.Skip(1);
        return items.Select(item => Apply(filter, item, filterArgs)).ToList();
    }

    private static object? ToInt(object? value, CallArguments args)
    {
        var fallback = args.Get(0, "default", 0L);
        switch (value)
        {
            case long or bool: return PythonValues.ToLong(value);
            case double d: return double.IsFinite(d) ? (long)d : fallback;
            case string s:
                var numberBase = (int)args.GetLong(1, "base", 10);
                var trimmed = s.Trim().Replace("_", "", StringComparison.Ordinal);
                try
                {
                    return numberBase == 10 ? long.Parse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : Convert.ToInt64(trimmed, numberBase);
                }
                catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
                {
                    return ToFloat(s, null) is double f ? (long)f : fallback;
                }

            default: return fallback;
        }
    }

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        double d => d,
        long or bool => PythonValues.ToDouble(value),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => fallback,
    };

    private static string Escape(string s) =>
        s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    private static string Title(string s) =>
        string.Concat(WordBeginningRegex().Split(s).Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant()));

    private static Func<object?, object?> SortKey(CallArguments args, int caseArg, int attributeArg)
    {
        var caseSensitive = args.GetBool(caseArg, "case_sensitive");
        var attribute = args.Get(attributeArg, "attribute") as string;
        return item =>
        {
            var key = Path(item, attribute);
            return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
        };
    }

    private static List<object?> Sort(object? value, CallArguments args)
    {
        var key = SortKey(args, 1, 2);
        var items = PythonValues.Iterate(value).Select(PythonValues.Normalize).ToList();
        var comparer = Comparer<object?>.Create(PythonValues.Compare);
        var sorted = args.GetBool(0, "reverse") ? items.OrderByDescending(key, comparer) : items.OrderBy(key, comparer);
        return [.. sorted];
    }

    private static List<object?> DictSort(object? value, CallArguments args)
    {
        var byValue = args.GetString(1, "by", "key") == "value";
        var caseSensitive = args.GetBool(0, "case_sensitive");
        var pairs = (PythonValues.Normalize(value) as IReadOnlyDictionary<string, object?> ?? throw new InvalidOperationException("dictsort needs a mapping"))
            .Select(kv => new object?[] { kv.Key, PythonValues.Normalize(kv.Value) }).ToList();
        object? Key(object?[] pair) => pair[byValue ? 1 : 0] is string s && !caseSensitive ? s.ToLowerInvariant() : pair[byValue ? 1 : 0];
        var comparer = Comparer<object?>.Create(PythonValues.Compare);
        var sorted = args.GetBool(2, "reverse") ? pairs.OrderByDescending(Key, comparer) : pairs.OrderBy(Key, comparer);
        return sorted.Cast<object?>().ToList();
    }

    private static List<object?> Unique(object? value, CallArguments args)
    {
        var key = SortKey(args, 0, 1);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in PythonValues.Iterate(value).Select(PythonValues.Normalize))
        {
            var k = key(item);
            if (!seen.Any(s => PythonValues.AreEqual(s, k)))
            {
                seen.Add(k);
                result.Add(item);
            }
        }

        return result;
    }

    private static object? MinMax(object? value, CallArguments args, bool max)
    {
        var key = SortKey(args, 0, 1);
        var items = PythonValues.Iterate(value).Select(PythonValues.Normalize).ToList();
        if (items.Count == 0)
        {
            return new Undefined($"No aggregated item, sequence was empty.");
        }

        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            var c = PythonValues.Compare(key(item), key(best));
            if (max ? c > 0 : c < 0)
            {
                best = item;
            }
        }

        return best;
    }

    private static object? Round(object? value, CallArguments args)
    {
        var precision = (int)args.GetLong(0, "precision", 0);
        var method = args.GetString(1, "method", "common");
        if (method == "common" && value is long or bool && precision >= 0)
        {
            return PythonValues.ToLong(value);
        }

        var x = PythonValues.ToDouble(value);
        var scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
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

    /// <summary>Python %-formatting (the format filter and <c>str % args</c>) with %s, %r, %d, %i, %f and %%.</summary>
    public static string PercentFormat(string format, CallArguments args)
    {
        var sb = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            var code = format[++i];
            if (code == '%')
            {
                sb.Append('%');
                continue;
            }

            var arg = args.Get(next++, "\0");
            sb.Append(code switch
            {
                's' => PythonValues.ToStr(arg),
                'r' => PythonValues.Repr(arg),
                'd' or 'i' => PythonValues.ToLong(arg).ToString(CultureInfo.InvariantCulture),
                'f' => PythonValues.ToDouble(arg).ToString("F6", CultureInfo.InvariantCulture),
                _ => throw new InvalidOperationException($"unsupported format character '{code}'"),
            });
        }

        return sb.ToString();
    }
}
