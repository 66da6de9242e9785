using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Python semantics for template values: null is None; numbers are long or double; sequences are
/// <see cref="List{T}"/> of object?; mappings are <see cref="Dictionary{TKey, TValue}"/> keeping insertion order.
/// </summary>
internal static class TemplateValues
{
    /// <summary>Converts caller input (JsonElement, int, float, read-only collections) into template values.</summary>
    public static object? Normalize(object? value) => value switch
    {
        null => null,
        JsonElement e => FromJson(e),
        string or bool or long or double or Undefined or Namespace or Macro or BoundCall => value,
        int i => (long)i,
        short s => (long)s,
        float f => (double)f,
        decimal d => (double)d,
        IReadOnlyDictionary<string, object?> d => d.ToDictionary(p => p.Key, p => Normalize(p.Value)),
        IDictionary d => d.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => Normalize(d[k])),
        IEnumerable e => e.Cast<object?>().Select(Normalize).ToList(),
        _ => value,
    };

    private static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        ICollection c => c.Count > 0,
        _ => true,
    };

    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        _ => Repr(v),
    };

    /// <summary>Python's repr, as str() of containers prints their items.</summary>
    public static string Repr(object? v) => v switch
    {
        string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(p => Repr(p.Key) + ": " + Repr(p.Value))) + "}",
        _ => Str(v),
    };

    private static string FormatDouble(double d)
    {
        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || s.Contains("NaN") ? s : s + ".0";
    }

    public static new bool Equals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (Undefined, Undefined) => true,
        (long x, long y) => x == y,
        (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture),
        (bool x, bool y) => x == y,
        (string x, string y) => x == y,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equals(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) => x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && Equals(p.Value, v)),
        _ => ReferenceEquals(a, b),
    };

    public static int Compare(object? a, object? b, int line) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture)),
        (string x, string y) => string.CompareOrdinal(x, y),
        (bool x, bool y) => x.CompareTo(y),
        _ => throw new TemplateException($"cannot compare {TypeName(a)} with {TypeName(b)}", line),
    };

    public static bool Contains(object? container, object? item, int line) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new TemplateException($"'in <string>' needs a string, not {TypeName(item)}", line),
        List<object?> l => l.Any(x => Equals(x, item)),
        Dictionary<string, object?> d => item is string key && d.ContainsKey(key),
        Namespace n => item is string k && n.Values.ContainsKey(k),
        null or Undefined => false,
        _ => throw new TemplateException($"'in' is not supported for {TypeName(container)}", line),
    };

    public static IEnumerable<object?> Iterate(object? v, int line) => v switch
    {
        List<object?> l => l,
        Dictionary<string, object?> d => d.Keys.Cast<object?>(),
        string s => s.Select(c => (object?)c.ToString()),
        null or Undefined => [],
        _ => throw new TemplateException($"{TypeName(v)} is not iterable", line),
    };

    public static string TypeName(object? v) => v switch
    {
        null => "None",
        Undefined => "undefined",
        string => "str",
        bool => "bool",
        long => "int",
        double => "float",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        _ => v.GetType().Name,
    };

    /// <summary>Python json.dumps with ensure_ascii=False, as transformers' tojson filter calls it.</summary>
    public static string ToJson(object? v, int? indent, int depth = 0)
    {
        var sb = new StringBuilder();
        WriteJson(sb, v, indent, depth);
        return sb.ToString();
    }

    private static void WriteJson(StringBuilder sb, object? v, int? indent, int depth)
    {
        string Pad(int d) => indent is { } n ? "\n" + new string(' ', n * d) : "";
        switch (v)
        {
            case null or Undefined:
                sb.Append("null");
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case long or double:
                sb.Append(v is double d ? (double.IsNaN(d) ? "NaN" : FormatDouble(d)) : Str(v));
                break;
            case string s:
                sb.Append('"');
                foreach (var c in s)
                {
                    sb.Append(c switch
                    {
                        '"' => "\\\"",
                        '\\' => "\\\\",
                        '\n' => "\\n",
                        '\r' => "\\r",
                        '\t' => "\\t",
                        '\b' => "\\b",
                        '\f' => "\\f",
                        < ' ' => $"\\u{(int)c:x4}",
                        _ => c.ToString(),
                    });
                }

                sb.Append('"');
                break;
            case List<object?> l:
                if (l.Count == 0)
                {
                    sb.Append("[]");
                    break;
                }

                sb.Append('[');
                for (var i = 0; i < l.Count; i++)
                {
                    sb.Append(i > 0 ? (indent is null ? ", " : ",") : "").Append(Pad(depth + 1));
                    WriteJson(sb, l[i], indent, depth + 1);
                }

                sb.Append(Pad(depth)).Append(']');
                break;
            case Dictionary<string, object?> m:
                if (m.Count == 0)
                {
                    sb.Append("{}");
                    break;
                }

                sb.Append('{');
                var first = true;
                foreach (var (k, x) in m)
                {
                    sb.Append(first ? "" : (indent is null ? ", " : ",")).Append(Pad(depth + 1));
                    first = false;
                    WriteJson(sb, k, indent, depth + 1);
                    sb.Append(": ");
                    WriteJson(sb, x, indent, depth + 1);
                }

                sb.Append(Pad(depth)).Append('}');
                break;
            case Namespace n:
                WriteJson(sb, n.Values, indent, depth);
                break;
            default:
                WriteJson(sb, Str(v), indent, depth);
                break;
        }
    }
}
