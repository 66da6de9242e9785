namespace InferMesh.Engine.Templates;

/// <summary>Python string, dict and list methods that real chat templates call.</summary>
internal static partial class TemplateBuiltins
{
    private static object StringMethod(string s, string name, int line) => name switch
    {
        "startswith" => Call(name, a => a[0] is List<object?> l ? l.Any(p => s.StartsWith(TemplateValues.Str(p), StringComparison.Ordinal)) : s.StartsWith(TemplateValues.Str(a[0]), StringComparison.Ordinal)),
        "endswith" => Call(name, a => a[0] is List<object?> l ? l.Any(p => s.EndsWith(TemplateValues.Str(p), StringComparison.Ordinal)) : s.EndsWith(TemplateValues.Str(a[0]), StringComparison.Ordinal)),
        "strip" => Call(name, a => a.Count > 0 && a[0] is string chars ? s.Trim(chars.ToCharArray()) : s.Trim()),
        "lstrip" => Call(name, a => a.Count > 0 && a[0] is string chars ? s.TrimStart(chars.ToCharArray()) : s.TrimStart()),
        "rstrip" => Call(name, a => a.Count > 0 && a[0] is string chars ? s.TrimEnd(chars.ToCharArray()) : s.TrimEnd()),
        "split" => Call(name, a => Split(s, a)),
        "upper" => Call(name, _ => s.ToUpperInvariant()),
        "lower" => Call(name, _ => s.ToLowerInvariant()),
        "title" => Call(name, _ => Title(s)),
        "capitalize" => Call(name, _ => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant()),
        "replace" => Call(name, a => s.Replace(TemplateValues.Str(a[0]), TemplateValues.Str(a[1]), StringComparison.Ordinal)),
        "count" => Call(name, a => (long)CountOf(s, TemplateValues.Str(a[0]))),
        "find" => Call(name, a => (long)s.IndexOf(TemplateValues.Str(a[0]), StringComparison.Ordinal)),
        "join" => Call(name, a => string.Join(s, TemplateValues.Iterate(a[0], line).Select(TemplateValues.Str))),
        "format" => Call(name, a => Format(s, a)),
        "isdigit" => Call(name, _ => s.Length > 0 && s.All(char.IsDigit)),
        _ => throw new TemplateException($"str has no method '{name}'", line),
    };

    private static object? DictMethod(Dictionary<string, object?> d, string name) => name switch
    {
        "items" => Call(name, _ => d.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList()),
        "keys" => Call(name, _ => d.Keys.Cast<object?>().ToList()),
        "values" => Call(name, _ => d.Values.ToList()),
        "get" => Call(name, a => d.TryGetValue(TemplateValues.Str(a[0]), out var v) ? v : a.Count > 1 ? a[1] : null),
        _ => null,
    };

    private static object ListMethod(List<object?> l, string name) => name switch
    {
        "append" => Call(name, a =>
        {
            l.Add(a[0]);
            return null;
        }),
        "index" => Call(name, a => (long)l.FindIndex(x => TemplateValues.Equals(x, a[0]))),
        "count" => Call(name, a => (long)l.Count(x => TemplateValues.Equals(x, a[0]))),
        _ => Undefined.Instance,
    };

    private static BoundCall Call(string name, Func<List<object?>, object?> f) =>
        new(name, (args, _, line) =>
        {
            try
            {
                return f(args);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw new TemplateException($"{name}() got too few arguments", line);
            }
        });

    private static List<object?> Split(string s, List<object?> a)
    {
        if (a.Count == 0 || a[0] is null)
        {
            return s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(x => (object?)x).ToList();
        }

        var sep = TemplateValues.Str(a[0]);
        var max = a.Count > 1 && a[1] is long m && m >= 0 ? (int)m + 1 : int.MaxValue;
        return s.Split(sep, max).Select(x => (object?)x).ToList();
    }

    private static int CountOf(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return s.Length + 1;
        }

        var n = 0;
        for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    private static string Title(string s)
    {
        var chars = s.ToCharArray();
        var start = true;
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = start ? char.ToUpperInvariant(chars[i]) : char.ToLowerInvariant(chars[i]);
            start = !char.IsLetterOrDigit(chars[i]);
        }

        return new string(chars);
    }

    /// <summary>str.format with positional {} / {0} fields.</summary>
    private static string Format(string s, List<object?> args)
    {
        var sb = new System.Text.StringBuilder();
        var auto = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '{' && i + 1 < s.Length && s[i + 1] == '{')
            {
                sb.Append('{');
                i++;
            }
            else if (s[i] == '}' && i + 1 < s.Length && s[i + 1] == '}')
            {
                sb.Append('}');
                i++;
            }
            else if (s[i] == '{')
            {
                var close = s.IndexOf('}', i);
                var field = s[(i + 1)..close];
                var index = field.Length == 0 ? auto++ : int.Parse(field, System.Globalization.CultureInfo.InvariantCulture);
                sb.Append(index < args.Count ? TemplateValues.Str(args[index]) : "");
                i = close;
            }
            else
            {
                sb.Append(s[i]);
            }
        }

        return sb.ToString();
    }
}
