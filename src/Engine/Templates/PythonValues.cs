using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Python semantics for template values, since jinja2 evaluates with Python's: str(), repr(), truthiness, ==, &lt;,
/// `in`, iteration, indexing and slicing. Values are null (None), bool, long (int), double (float), string,
/// IReadOnlyList (list; object?[] is a tuple), IReadOnlyDictionary&lt;string, object?&gt; (dict) and the runtime types.
/// </summary>
internal static class PythonValues
{
    /// <summary>Maps caller values onto the template value model (JsonElement, other integer/float types, plain collections).</summary>
    public static object? Normalize(object? value) => value switch
    {
        null or string or bool or long or double => value,
        IReadOnlyDictionary<string, object?> or IReadOnlyList<object?> => value,
        int i => (long)i,
        JsonElement e => FromJson(e),
        short or byte or sbyte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u => u <= long.MaxValue ? (object)(long)u : (double)u,
        float f => (double)f,
        decimal m => (double)m,
        char c => c.ToString(),
        IDictionary d => FromDictionary(d),
        IEnumerable e => e.Cast<object?>().Select(Normalize).ToList(),
        _ => value,
    };

    private static OrderedDictionary<string, object?> FromDictionary(IDictionary d)
    {
        var result = new OrderedDictionary<string, object?>(d.Count, StringComparer.Ordinal);
        foreach (DictionaryEntry entry in d)
        {
            result[ToStr(Normalize(entry.Key))] = Normalize(entry.Value);
        }

        return result;
    }

    public static object? FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                return e.TryGetInt64(out var l) ? (object)l : e.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Array:
                var list = new List<object?>(e.GetArrayLength());
                foreach (var item in e.EnumerateArray())
                {
                    list.Add(FromJson(item));
                }

                return list;
            case JsonValueKind.Object:
                var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in e.EnumerateObject())
                {
                    dict[property.Name] = FromJson(property.Value); // duplicate keys: last wins, as json.loads
                }

                return dict;
            default:
                return null;
        }
    }

    public static bool IsTruthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        IReadOnlyDictionary<string, object?> d => d.Count > 0,
        IReadOnlyList<object?> l => l.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? value) => value is long or double or bool;

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        object?[] => "tuple",
        IReadOnlyDictionary<string, object?> => "dict",
        IReadOnlyList<object?> => "list",
        Undefined => "Undefined",
        TemplateNamespace => "Namespace",
        TemplateMacro => "Macro",
        _ => value.GetType().Name,
    };

    /// <summary>Python's str(): what <c>{{ value }}</c> prints (None, True, 1.0, ['a'] ...; Undefined prints nothing).</summary>
    public static string ToStr(object? value) => value switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(value),
    };

    public static string Repr(object? value)
    {
        switch (value)
        {
            case null: return "None";
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return FloatRepr(d);
            case string s: return StringRepr(s);
            case Undefined: return "";
            case object?[] tuple:
                return tuple.Length == 1 ? $"({Repr(tuple[0])},)" : "(" + string.Join(", ", tuple.Select(Repr)) + ")";
            case IReadOnlyDictionary<string, object?> dict:
                return "{" + string.Join(", ", dict.Select(kv => StringRepr(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case IReadOnlyList<object?> list:
                return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case TemplateNamespace ns:
                return "<Namespace " + string.Join(", ", ns.Attributes.Select(kv => kv.Key + "=" + Repr(kv.Value))) + ">";
            case TemplateMacro macro:
                return $"<Macro '{macro.Node.Name}'>";
            case BoundMethod method:
                return $"<built-in method {method.Name} of {TypeName(method.Target)} object>";
            case BuiltinFunction function:
                return $"<function {function.Name}>";
            default:
                return Normalize(value) is var n && !ReferenceEquals(n, value) ? Repr(n) : value.ToString() ?? "";
        }
    }

    private static string StringRepr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote)
                    {
                        sb.Append('\\').Append(c);
                    }
                    else if (c < 0x20 || c == 0x7f)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append(quote).ToString();
    }

    /// <summary>Python's repr(float): shortest round-trip digits, fixed notation for 1e-4 &lt;= |x| &lt; 1e16, else d.ddde±XX.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }

        var r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        var ePos = r.IndexOf('E');
        var mantissa = ePos < 0 ? r : r[..ePos];
        var exponent = ePos < 0 ? 0 : int.Parse(r.AsSpan(ePos + 1), CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var point = (dot < 0 ? mantissa.Length : dot) + exponent; // decimal point position within digits
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0')
        {
            lead++;
        }

        digits = digits[lead..].TrimEnd('0');
        point -= lead;
        var sign = d < 0 ? "-" : "";
        var sci = point - 1;
        if (sci is >= -4 and < 16)
        {
            if (point <= 0)
            {
                return sign + "0." + new string('0', -point) + digits;
            }

            return point >= digits.Length
                ? sign + digits + new string('0', point - digits.Length) + ".0"
                : sign + digits[..point] + "." + digits[point..];
        }

        var m = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
        return $"{sign}{m}e{(sci < 0 ? '-' : '+')}{Math.Abs(sci):00}";
    }

    public static bool AreEqual(object? a, object? b)
    {
        if (a is Undefined || b is Undefined)
        {
            return a is Undefined && b is Undefined;
        }

        if (IsNumber(a) && IsNumber(b))
        {
            return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        }

        switch (a)
        {
            case null: return b is null;
            case string s: return b is string t && string.Equals(s, t, StringComparison.Ordinal);
            case IReadOnlyDictionary<string, object?> da:
                return b is IReadOnlyDictionary<string, object?> db && da.Count == db.Count
                    && da.All(kv => db.TryGetValue(kv.Key, out var v) && AreEqual(Normalize(kv.Value), Normalize(v)));
            case IReadOnlyList<object?> la:
                if (b is not IReadOnlyList<object?> lb || la.Count != lb.Count || (a is object?[]) != (b is object?[]))
                {
                    return false;
                }

                for (var i = 0; i < la.Count; i++)
                {
                    if (!AreEqual(Normalize(la[i]), Normalize(lb[i])))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return ReferenceEquals(a, b) || (b is not null && a.Equals(b));
        }
    }

    /// <summary>Python ordering for &lt; &gt; sort/min/max: numbers, strings (by code point), lists lexicographically.</summary>
    public static int Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return a is double || b is double ? ToDouble(a).CompareTo(ToDouble(b)) : ToLong(a).CompareTo(ToLong(b));
        }

        if (a is string s && b is string t)
        {
            return Math.Sign(string.CompareOrdinal(s, t));
        }

        if (a is IReadOnlyList<object?> la && b is IReadOnlyList<object?> lb && a is not IReadOnlyDictionary<string, object?>)
        {
            for (var i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (!AreEqual(Normalize(la[i]), Normalize(lb[i])))
                {
                    return Compare(Normalize(la[i]), Normalize(lb[i]));
                }
            }

            return la.Count.CompareTo(lb.Count);
        }

        throw new InvalidOperationException($"'<' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new InvalidOperationException($"expected an int but got '{TypeName(v)}'"),
    };

    public static double ToDouble(object? v) => v switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException($"expected a number but got '{TypeName(v)}'"),
    };

    /// <summary>Python's <c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string t
            ? s.Contains(t, StringComparison.Ordinal)
            : throw new InvalidOperationException($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        IReadOnlyDictionary<string, object?> d => item is string key && d.ContainsKey(key),
        IReadOnlyList<object?> l => l.Any(x => AreEqual(Normalize(x), item)),
        Undefined => false,
        TemplateNamespace ns => item is string key && ns.Attributes.ContainsKey(key),
        _ => throw new InvalidOperationException($"argument of type '{TypeName(container)}' is not iterable"),
    };

    /// <summary>What <c>for x in value</c> walks: list items, dict keys, string characters; Undefined is empty.</summary>
    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        IReadOnlyDictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
        IReadOnlyList<object?> l => l,
        string s => CodePoints(s),
        Undefined => [],
        _ => throw new InvalidOperationException($"'{TypeName(value)}' object is not iterable"),
    };

    public static List<object?> CodePoints(string s)
    {
        var result = new List<object?>(s.Length);
        foreach (var rune in s.EnumerateRunes())
        {
            result.Add(rune.ToString());
        }

        return result;
    }

    /// <summary>Python's len(): code points for strings.</summary>
    public static long Length(object? value) => value switch
    {
        string s => HasSurrogates(s) ? s.EnumerateRunes().Count() : s.Length,
        IReadOnlyDictionary<string, object?> d => d.Count,
        IReadOnlyList<object?> l => l.Count,
        Undefined => 0,
        TemplateNamespace ns => ns.Attributes.Count,
        _ => throw new InvalidOperationException($"object of type '{TypeName(value)}' has no len()"),
    };

    public static bool HasSurrogates(string s) => s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;
}
