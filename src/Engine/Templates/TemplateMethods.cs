using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// The Python methods templates call on values (str, list, dict, loop.cycle) and the environment's global functions
/// (transformers adds raise_exception and strftime_now; jinja2 provides namespace, range, dict).
/// </summary>
internal static class TemplateMethods
{
    private static readonly HashSet<string> StringMethods =
    [
        "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "upper", "lower", "replace",
        "title", "capitalize", "format", "count", "find", "rfind", "index", "rindex", "join", "isdigit", "isalpha", "isalnum",
        "isspace", "islower", "isupper", "isnumeric", "isdecimal", "swapcase", "casefold", "removeprefix", "removesuffix",
        "ljust", "rjust", "center", "zfill", "partition", "rpartition",
    ];

    private static readonly HashSet<string> ListMethods = ["append", "extend", "pop", "index", "count", "insert"];

    public static bool IsMethod(object? target, string name) => target switch
    {
        string => StringMethods.Contains(name),
        IReadOnlyList<object?> => ListMethods.Contains(name),
        _ => false,
    };

    public static object? Call(BoundMethod method, CallArguments args) => method.Target switch
    {
        string s => CallStringMethod(s, method.Name, args),
        IReadOnlyDictionary<string, object?> d => CallDictMethod(d, method.Name, args),
        IReadOnlyList<object?> l => CallListMethod(l, method.Name, args),
        LoopState loop when method.Name == "changed" => loop.Changed(args.Positional),
        LoopState loop => args.Count == 0
            ? throw new InvalidOperationException("loop.cycle() needs at least one value")
            : args.Positional[loop.Index0 % args.Count],
        _ => throw new InvalidOperationException($"'{PythonValues.TypeName(method.Target)}' has no method '{method.Name}'"),
    };

    private static object? CallDictMethod(IReadOnlyDictionary<string, object?> d, string name, CallArguments args) => name switch
    {
        "items" => d.Select(kv => (object?)new object?[] { kv.Key, PythonValues.Normalize(kv.Value) }).ToList(),
        "keys" => d.Keys.Cast<object?>().ToList(),
        "values" => d.Values.Select(PythonValues.Normalize).ToList(),
        _ => args.Get(0, "key") is string key && d.TryGetValue(key, out var v) ? PythonValues.Normalize(v) : args.Get(1, "default"),
    };

    private static object? CallListMethod(IReadOnlyList<object?> list, string name, CallArguments args)
    {
        switch (name)
        {
            case "index":
                for (var i = 0; i < list.Count; i++)
                {
                    if (PythonValues.AreEqual(PythonValues.Normalize(list[i]), args.Get(0, "value")))
                    {
                        return (long)i;
                    }
                }

                throw new InvalidOperationException($"{PythonValues.Repr(args.Get(0, "value"))} is not in list");
            case "count":
                return (long)list.Count(x => PythonValues.AreEqual(PythonValues.Normalize(x), args.Get(0, "value")));
        }

        // append, extend, insert, pop: transformers renders in jinja2's ImmutableSandboxedEnvironment, which refuses them.
        throw new InvalidOperationException($"access to attribute '{name}' of '{PythonValues.TypeName(list)}' object is unsafe.");
    }

    private static object? CallStringMethod(string s, string name, CallArguments args)
    {
        switch (name)
        {
            case "startswith":
            case "endswith":
                var affixes = args.Get(0, "prefix") is IReadOnlyList<object?> many ? many.Select(PythonValues.ToStr) : [args.GetString(0, "prefix")];
                return name == "startswith"
                    ? affixes.Any(p => s.StartsWith(p, StringComparison.Ordinal))
                    : affixes.Any(p => s.EndsWith(p, StringComparison.Ordinal));
            case "strip": return Strip(s, args.Get(0, "chars"), left: true, right: true);
            case "lstrip": return Strip(s, args.Get(0, "chars"), left: true, right: false);
            case "rstrip": return Strip(s, args.Get(0, "chars"), left: false, right: true);
            case "split": return Split(s, args.Get(0, "sep") as string, (int)args.GetLong(1, "maxsplit", -1), fromRight: false);
            case "rsplit": return Split(s, args.Get(0, "sep") as string, (int)args.GetLong(1, "maxsplit", -1), fromRight: true);
            case "splitlines": return SplitLines(s, args.GetBool(0, "keepends"));
            case "upper": return PythonCase.Upper(s);
            case "lower": return PythonCase.Lower(s);
            case "casefold": return PythonCase.Lower(s).Replace("\u00DF", "ss", StringComparison.Ordinal);
            case "swapcase": return PythonCase.SwapCase(s);
            case "title": return PythonCase.Title(s);
            case "capitalize": return PythonCase.Capitalize(s);
            case "removeprefix": return args.GetString(0, "prefix") is var prefix && s.StartsWith(prefix, StringComparison.Ordinal) ? s[prefix.Length..] : s;
            case "removesuffix": return args.GetString(0, "suffix") is var suffix && suffix.Length > 0 && s.EndsWith(suffix, StringComparison.Ordinal) ? s[..^suffix.Length] : s;
            case "ljust" or "rjust" or "center" or "zfill": return Pad(s, name, args);
            case "partition" or "rpartition": return Partition(s, args.GetString(0, "sep"), name == "rpartition");
            case "replace":
                var count = args.GetLong(2, "count", -1);
                return Replace(s, args.GetString(0, "old"), args.GetString(1, "new"), count);
            case "count": return CountOccurrences(s, args.GetString(0, "sub"));
            case "find": return (long)s.IndexOf(args.GetString(0, "sub"), StringComparison.Ordinal);
            case "rfind": return (long)s.LastIndexOf(args.GetString(0, "sub"), StringComparison.Ordinal);
            case "index" or "rindex":
                var sub = args.GetString(0, "sub");
                var found = name == "index" ? s.IndexOf(sub, StringComparison.Ordinal) : s.LastIndexOf(sub, StringComparison.Ordinal);
                return found >= 0 ? (long)found : throw new InvalidOperationException("substring not found");
            case "join":
                return string.Join(s, PythonValues.Iterate(args.Get(0, "iterable")).Select(x => x as string
                    ?? throw new InvalidOperationException($"sequence item: expected str instance, {PythonValues.TypeName(x)} found")));
            case "format": return PythonFormat.Format(s, args);
            case "isdigit": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum": return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace": return s.Length > 0 && s.All(char.IsWhiteSpace);
            case "isnumeric" or "isdecimal": return s.Length > 0 && s.All(c => name == "isdecimal" ? char.IsDigit(c) : char.IsNumber(c));
            case "islower": return PythonCase.IsLower(s);
            default: return PythonCase.IsUpper(s); // isupper
        }
    }

    public static string Strip(string s, object? chars, bool left, bool right)
    {
        if (chars is null)
        {
            return left && right ? s.Trim() : left ? s.TrimStart() : s.TrimEnd();
        }

        var set = PythonValues.ToStr(chars).ToCharArray();
        return left && right ? s.Trim(set) : left ? s.TrimStart(set) : s.TrimEnd(set);
    }

    private static List<object?> Split(string s, string? sep, int maxSplit, bool fromRight)
    {
        if (sep is null)
        {
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxSplit < 0 || words.Length <= maxSplit + 1)
            {
                return [.. words];
            }

            // Python keeps the rest of the string (from the word after the last split) intact.
            var trimmed = fromRight ? s.TrimEnd() : s.TrimStart();
            var parts = new List<object?>();
            var rest = trimmed;
            for (var i = 0; i < maxSplit; i++)
            {
                var cut = fromRight ? rest.LastIndexOfAny([' ', '\t', '\n', '\r', '\f', '\v']) : rest.IndexOfAny([' ', '\t', '\n', '\r', '\f', '\v']);
                parts.Add(fromRight ? rest[(cut + 1)..] : rest[..cut]);
                rest = fromRight ? rest[..cut].TrimEnd() : rest[(cut + 1)..].TrimStart();
            }

            parts.Add(rest);
            if (fromRight)
            {
                parts.Reverse();
            }

            return parts;
        }

        if (sep.Length == 0)
        {
            throw new InvalidOperationException("empty separator");
        }

        var all = s.Split(sep);
        if (maxSplit < 0 || all.Length <= maxSplit + 1)
        {
            return [.. all];
        }

        return fromRight
            ? [string.Join(sep, all[..^maxSplit]), .. all[^maxSplit..]]
            : [.. all[..maxSplit], string.Join(sep, all[maxSplit..])];
    }

    private static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0)
        {
            return old.Length == 0 ? string.Join(replacement, ["", .. PythonValues.CodePoints(s), ""]) : s.Replace(old, replacement, StringComparison.Ordinal);
        }

        var sb = new StringBuilder();
        var pos = 0;
        for (var n = 0; n < count; n++)
        {
            var at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0)
            {
                break;
            }

            sb.Append(s, pos, at - pos).Append(replacement);
            pos = at + old.Length;
        }

        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static long CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return PythonValues.Length(s) + 1;
        }

        long n = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    /// <summary>str.splitlines(keepends=False): breaks at \n, \r\n, \r, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029.</summary>
    private static List<object?> SplitLines(string s, bool keepEnds)
    {
        var lines = new List<object?>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029'))
            {
                continue;
            }

            var end = c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? i + 2 : i + 1;
            lines.Add(s[start..(keepEnds ? end : i)]);
            start = end;
            i = end - 1;
        }

        if (start < s.Length)
        {
            lines.Add(s[start..]);
        }

        return lines;
    }

    /// <summary>str.ljust / rjust / center(width, fillchar=' ') and zfill(width), widths in code points.</summary>
    private static string Pad(string s, string name, CallArguments args)
    {
        var width = (int)args.GetLong(0, "width", 0);
        var margin = width - (int)PythonValues.Length(s);
        if (margin <= 0)
        {
            return s;
        }

        if (name == "zfill")
        {
            var signed = s.Length > 0 && s[0] is '+' or '-';
            return signed ? s[0] + new string('0', margin) + s[1..] : new string('0', margin) + s;
        }

        var fill = args.GetString(1, "fillchar", " ");
        if (PythonValues.Length(fill) != 1)
        {
            throw new InvalidOperationException("The fill character must be exactly one character long");
        }

        string Fill(int n) => string.Concat(Enumerable.Repeat(fill, n));
        var left = name switch
        {
            "ljust" => 0,
            "rjust" => margin,
            _ => (margin / 2) + (margin & width & 1), // CPython's pad for center
        };
        return Fill(left) + s + Fill(margin - left);
    }

    private static object?[] Partition(string s, string separator, bool fromRight)
    {
        if (separator.Length == 0)
        {
            throw new InvalidOperationException("empty separator");
        }

        var at = fromRight ? s.LastIndexOf(separator, StringComparison.Ordinal) : s.IndexOf(separator, StringComparison.Ordinal);
        if (at < 0)
        {
            return fromRight ? ["", "", s] : [s, "", ""];
        }

        return [s[..at], separator, s[(at + separator.Length)..]];
    }
}
