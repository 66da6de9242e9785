using System.Globalization;

namespace InferMesh.Engine.Templates;

/// <summary>Jinja filters and tests (https://jinja.palletsprojects.com/en/stable/templates/#builtin-filters).</summary>
internal static partial class TemplateBuiltins
{
    public static object? Filter(string name, object? v, List<object?> a, Dictionary<string, object?> kw, int line)
    {
        object? Arg(int i, string key, object? fallback = null) => i < a.Count ? a[i] : kw.TryGetValue(key, out var x) ? x : fallback;
        IEnumerable<object?> Items() => TemplateValues.Iterate(v, line);
        switch (name)
        {
            case "trim":
                return TemplateValues.Str(v).Trim();
            case "length" or "count":
                return v switch { string s => (long)s.Length, List<object?> l => (long)l.Count, Dictionary<string, object?> d => (long)d.Count, null or Undefined => 0L, _ => throw new TemplateException($"object of type {TemplateValues.TypeName(v)} has no length", line) };
            case "tojson":
                return TemplateValues.ToJson(v, Arg(0, "indent") is long indent ? (int)indent : null);
            case "join":
                var sep = TemplateValues.Str(Arg(0, "d", ""));
                var attribute = Arg(1, "attribute") as string;
                return string.Join(sep, Items().Select(x => TemplateValues.Str(attribute is null ? x : GetAttribute(x, attribute, line))));
            case "upper":
                return TemplateValues.Str(v).ToUpperInvariant();
            case "lower":
                return TemplateValues.Str(v).ToLowerInvariant();
            case "title":
                return Title(TemplateValues.Str(v));
            case "capitalize":
                var cs = TemplateValues.Str(v);
                return cs.Length == 0 ? cs : char.ToUpperInvariant(cs[0]) + cs[1..].ToLowerInvariant();
            case "default" or "d":
                var useFalsy = Arg(1, "boolean") is true;
                return v is Undefined || (useFalsy && !TemplateValues.Truthy(v)) ? Arg(0, "default_value", "") : v;
            case "items":
                return v is Dictionary<string, object?> dict ? dict.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList() : new List<object?>();
            case "selectattr" or "rejectattr":
                var keep = name == "selectattr";
                var attr = TemplateValues.Str(Arg(0, "attribute"));
                var test = a.Count > 1 ? TemplateValues.Str(a[1]) : null;
                var testArgs = a.Skip(2).ToList();
                return Items().Where(x =>
                {
                    var value = GetAttribute(x, attr, line);
                    return keep == (test is null ? TemplateValues.Truthy(value) : Test(test, value, testArgs, line));
                }).ToList();
            case "select" or "reject":
                var t = a.Count > 0 ? TemplateValues.Str(a[0]) : null;
                return Items().Where(x => (name == "select") == (t is null ? TemplateValues.Truthy(x) : Test(t, x, a.Skip(1).ToList(), line))).ToList();
            case "map":
                if (kw.TryGetValue("attribute", out var mapAttr))
                {
                    return Items().Select(x => GetAttribute(x, TemplateValues.Str(mapAttr), line) is var r && r is Undefined && kw.TryGetValue("default", out var dflt) ? dflt : GetAttribute(x, TemplateValues.Str(mapAttr), line)).ToList();
                }

                var filterName = TemplateValues.Str(Arg(0, "filter"));
                return Items().Select(x => Filter(filterName, x, a.Skip(1).ToList(), [], line)).ToList();
            case "first":
                return Items().FirstOrDefault(Undefined.Instance);
            case "last":
                return v is List<object?> ll && ll.Count > 0 ? ll[^1] : Undefined.Instance;
            case "list":
                return Items().ToList();
            case "string":
                return TemplateValues.Str(v);
            case "int":
                return v switch { long l => l, double d => (long)Math.Truncate(d), string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p, bool b => b ? 1L : 0L, _ => Arg(0, "default", 0L) };
            case "float":
                return v switch { long l => (double)l, double d => d, string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p, _ => Arg(0, "default", 0.0) };
            case "replace":
                return TemplateValues.Str(v).Replace(TemplateValues.Str(Arg(0, "old")), TemplateValues.Str(Arg(1, "new")), StringComparison.Ordinal);
            case "safe" or "e" or "escape" or "forceescape":
                return name == "safe" ? v : System.Net.WebUtility.HtmlEncode(TemplateValues.Str(v));
            case "unique":
                var seen = new List<object?>();
                foreach (var x in Items())
                {
                    if (!seen.Any(s => TemplateValues.Equals(s, x)))
                    {
                        seen.Add(x);
                    }
                }

                return seen;
            case "sort":
                var reverse = Arg(0, "reverse") is true;
                var byAttr = kw.TryGetValue("attribute", out var sa) ? TemplateValues.Str(sa) : null;
                var sorted = Items().ToList();
                sorted.Sort((x, y) => TemplateValues.Compare(byAttr is null ? x : GetAttribute(x, byAttr, line), byAttr is null ? y : GetAttribute(y, byAttr, line), line));
                if (reverse)
                {
                    sorted.Reverse();
                }

                return sorted;
            case "reverse":
                return v is string rs ? new string(rs.Reverse().ToArray()) : Items().Reverse().ToList();
            case "abs":
                return v switch { long l => Math.Abs(l), double d => Math.Abs(d), _ => v };
            case "round":
                var digits = Arg(0, "precision") is long pr ? (int)pr : 0;
                return Math.Round(Convert.ToDouble(v, CultureInfo.InvariantCulture), digits, MidpointRounding.ToEven);
            case "wordcount":
                return (long)TemplateValues.Str(v).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            case "indent":
                var width = Arg(0, "width") is long w ? (int)w : 4;
                var pad = new string(' ', width);
                var lines = TemplateValues.Str(v).Split('\n');
                var indentFirst = Arg(1, "first") is true;
                return string.Join("\n", lines.Select((l, i) => (i == 0 && !indentFirst) || l.Length == 0 ? l : pad + l));
            case "center":
                var text = TemplateValues.Str(v);
                var total = Arg(0, "width") is long cw ? (int)cw : 80;
                var left = Math.Max(0, (total - text.Length) / 2);
                return text.PadLeft(text.Length + left).PadRight(total);
            case "batch":
                var size = Arg(0, "linecount") is long bs ? (int)bs : 1;
                return Items().Chunk(size).Select(c => (object?)c.ToList()).ToList();
            case "min" or "max":
                var values = Items().ToList();
                values.Sort((x, y) => TemplateValues.Compare(x, y, line));
                return values.Count == 0 ? Undefined.Instance : name == "min" ? values[0] : values[^1];
            case "sum":
                return Items().Aggregate((object?)0L, (acc, x) => Binary("+", acc, x, line));
            case "dictsort":
                return v is Dictionary<string, object?> ds ? ds.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList() : new List<object?>();
            default:
                throw new TemplateException($"unknown filter '{name}'", line);
        }
    }

    public static bool Test(string name, object? v, List<object?> a, int line) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "string" => v is string,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "mapping" => v is Dictionary<string, object?> or Namespace,
        "sequence" or "iterable" => v is List<object?> or string or Dictionary<string, object?>,
        "callable" => v is BoundCall or Macro,
        "equalto" or "eq" or "==" or "sameas" => a.Count > 0 && TemplateValues.Equals(v, a[0]),
        "ne" or "!=" => a.Count > 0 && !TemplateValues.Equals(v, a[0]),
        "in" => a.Count > 0 && TemplateValues.Contains(a[0], v, line),
        "odd" => v is long o && o % 2 != 0,
        "even" => v is long e && e % 2 == 0,
        "divisibleby" => v is long n && a.Count > 0 && a[0] is long m && m != 0 && n % m == 0,
        "lower" => v is string s && s == s.ToLowerInvariant(),
        "upper" => v is string u && u == u.ToUpperInvariant(),
        "gt" or ">" => TemplateValues.Compare(v, a[0], line) > 0,
        "ge" or ">=" => TemplateValues.Compare(v, a[0], line) >= 0,
        "lt" or "<" => TemplateValues.Compare(v, a[0], line) < 0,
        "le" or "<=" => TemplateValues.Compare(v, a[0], line) <= 0,
        _ => throw new TemplateException($"unknown test '{name}'", line),
    };
}
