using System.Globalization;

namespace InferMesh.Engine.Templates;

/// <summary>Globals, attribute/item access, methods and operators of the template language.</summary>
internal static partial class TemplateBuiltins
{
    public static object? Global(string name) => name switch
    {
        "raise_exception" => new BoundCall(name, (args, _, line) => throw new TemplateException(args.Count > 0 ? TemplateValues.Str(args[0]) : "raise_exception called", line)),
        "namespace" => new BoundCall(name, (args, kwargs, _) => new Namespace(args.OfType<Dictionary<string, object?>>().SelectMany(d => d).Concat(kwargs).ToDictionary(p => p.Key, p => p.Value))),
        "range" => new BoundCall(name, (args, _, line) => Range(args, line)),
        "dict" => new BoundCall(name, (args, kwargs, _) => args.OfType<Dictionary<string, object?>>().SelectMany(d => d).Concat(kwargs).ToDictionary(p => p.Key, p => p.Value)),
        "strftime_now" => new BoundCall(name, (args, _, _) => StrftimeNow(args.Count > 0 ? TemplateValues.Str(args[0]) : "%Y-%m-%d")),
        _ => null,
    };

    private static List<object?> Range(List<object?> args, int line)
    {
        long Arg(int i) => args[i] is long l ? l : throw new TemplateException("range() takes integers", line);
        var (start, stop, step) = args.Count switch { 1 => (0L, Arg(0), 1L), 2 => (Arg(0), Arg(1), 1L), 3 => (Arg(0), Arg(1), Arg(2)), _ => throw new TemplateException("range() takes 1 to 3 arguments", line) };
        var list = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            list.Add(i);
        }

        return list;
    }

    /// <summary>Python strftime for the directives chat templates use (%d %b %B %Y %m %H %M %S %y %A %a).</summary>
    private static string StrftimeNow(string format)
    {
        var now = DateTime.Now;
        var map = new Dictionary<char, string>
        {
            ['d'] = now.ToString("dd", CultureInfo.InvariantCulture), ['b'] = now.ToString("MMM", CultureInfo.InvariantCulture),
            ['B'] = now.ToString("MMMM", CultureInfo.InvariantCulture), ['Y'] = now.ToString("yyyy", CultureInfo.InvariantCulture),
            ['y'] = now.ToString("yy", CultureInfo.InvariantCulture), ['m'] = now.ToString("MM", CultureInfo.InvariantCulture),
            ['H'] = now.ToString("HH", CultureInfo.InvariantCulture), ['M'] = now.ToString("mm", CultureInfo.InvariantCulture),
            ['S'] = now.ToString("ss", CultureInfo.InvariantCulture), ['A'] = now.ToString("dddd", CultureInfo.InvariantCulture),
            ['a'] = now.ToString("ddd", CultureInfo.InvariantCulture), ['%'] = "%",
        };
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] == '%' && i + 1 < format.Length && map.TryGetValue(format[i + 1], out var s))
            {
                sb.Append(s);
                i++;
            }
            else
            {
                sb.Append(format[i]);
            }
        }

        return sb.ToString();
    }

    public static object? GetAttribute(object? target, string name, int line) => target switch
    {
        Dictionary<string, object?> d when d.TryGetValue(name, out var v) => v,
        Dictionary<string, object?> d => DictMethod(d, name) ?? Undefined.Instance,
        Namespace n => n.Values.TryGetValue(name, out var v) ? v : Undefined.Instance,
        string s => StringMethod(s, name, line),
        List<object?> l => ListMethod(l, name),
        _ => Undefined.Instance,
    };

    public static object? GetItem(object? target, object? index, int line) => (target, index) switch
    {
        (Dictionary<string, object?> d, string key) => d.TryGetValue(key, out var v) ? v : Undefined.Instance,
        (Dictionary<string, object?> d, _) => d.TryGetValue(TemplateValues.Str(index), out var v) ? v : Undefined.Instance,
        (List<object?> l, long i) => i < l.Count && i >= -l.Count ? l[(int)(i < 0 ? l.Count + i : i)] : Undefined.Instance,
        (string s, long i) => i < s.Length && i >= -s.Length ? s[(int)(i < 0 ? s.Length + i : i)].ToString() : Undefined.Instance,
        (Namespace n, string key) => n.Values.TryGetValue(key, out var v) ? v : Undefined.Instance,
        (_, string name) => GetAttribute(target, name, line),
        _ => Undefined.Instance,
    };

    public static object? Slice(object? target, object? start, object? stop, object? step, int line)
    {
        var items = target switch
        {
            List<object?> l => l,
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            _ => throw new TemplateException($"cannot slice {TemplateValues.TypeName(target)}", line),
        };
        var n = items.Count;
        var st = step is long sv ? sv : 1;
        if (st == 0)
        {
            throw new TemplateException("slice step cannot be zero", line);
        }

        long Clamp(object? v, long fallback)
        {
            if (v is not long x)
            {
                return fallback;
            }

            if (x < 0)
            {
                x += n;
            }

            return st > 0 ? Math.Clamp(x, 0, n) : Math.Clamp(x, -1, n - 1);
        }

        var result = new List<object?>();
        var from = Clamp(start, st > 0 ? 0 : n - 1);
        var to = Clamp(stop, st > 0 ? n : -1);
        for (var i = from; st > 0 ? i < to : i > to; i += st)
        {
            result.Add(items[(int)i]);
        }

        return target is string ? string.Concat(result.Select(TemplateValues.Str)) : result;
    }

    public static object? Binary(string op, object? a, object? b, int line)
    {
        switch (op)
        {
            case "==": return TemplateValues.Equals(a, b);
            case "!=": return !TemplateValues.Equals(a, b);
            case "<": return TemplateValues.Compare(a, b, line) < 0;
            case ">": return TemplateValues.Compare(a, b, line) > 0;
            case "<=": return TemplateValues.Compare(a, b, line) <= 0;
            case ">=": return TemplateValues.Compare(a, b, line) >= 0;
            case "in": return TemplateValues.Contains(b, a, line);
            case "~": return TemplateValues.Str(a) + TemplateValues.Str(b);
        }

        if (op == "+" && a is string sa && b is string sb)
        {
            return sa + sb;
        }

        if (op == "+" && a is List<object?> la && b is List<object?> lb)
        {
            return la.Concat(lb).ToList();
        }

        if (op == "*" && a is string s && b is long times)
        {
            return string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, times)));
        }

        if (a is long x && b is long y)
        {
            return op switch
            {
                "+" => (object)(x + y),
                "-" => x - y,
                "*" => x * y,
                "/" => (double)x / y,
                "//" => y == 0 ? throw new TemplateException("division by zero", line) : (long)Math.Floor((double)x / y),
                "%" => y == 0 ? throw new TemplateException("modulo by zero", line) : ((x % y) + y) % y,
                "**" => (long)Math.Pow(x, y),
                _ => throw new TemplateException($"unknown operator {op}", line),
            };
        }

        if (a is long or double && b is long or double)
        {
            double dx = Convert.ToDouble(a, CultureInfo.InvariantCulture), dy = Convert.ToDouble(b, CultureInfo.InvariantCulture);
            return op switch
            {
                "+" => (object)(dx + dy),
                "-" => dx - dy,
                "*" => dx * dy,
                "/" => dx / dy,
                "//" => Math.Floor(dx / dy),
                "%" => dx - (dy * Math.Floor(dx / dy)),
                "**" => Math.Pow(dx, dy),
                _ => throw new TemplateException($"unknown operator {op}", line),
            };
        }

        throw new TemplateException($"unsupported operand types for {op}: {TemplateValues.TypeName(a)} and {TemplateValues.TypeName(b)}", line);
    }
}
