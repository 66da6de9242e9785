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
        "title", "capitalize", "format", "count", "find", "rfind", "index", "join", "isdigit", "isalpha", "isalnum", "isspace",
        "islower", "isupper",
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

        // Mutation: transformers' sandbox forbids it, but templates written for other engines use it; allowed on lists.
        if (list is not List<object?> mutable)
        {
            throw new InvalidOperationException($"cannot call '{name}' on an immutable {PythonValues.TypeName(list)}");
        }

        switch (name)
        {
            case "append":
                mutable.Add(args.Get(0, "object"));
                return null;
            case "extend":
                mutable.AddRange(PythonValues.Iterate(args.Get(0, "iterable")));
                return null;
            case "insert":
                var at = (int)Math.Clamp(args.GetLong(0, "index", 0) is var ix && ix < 0 ? ix + mutable.Count : ix, 0, mutable.Count);
                mutable.Insert(at, args.Get(1, "object"));
                return null;
            default: // pop
                if (mutable.Count == 0)
                {
                    throw new InvalidOperationException("pop from empty list");
                }

                var index = (int)args.GetLong(0, "index", -1);
                index = index < 0 ? index + mutable.Count : index;
                var item = mutable[index];
                mutable.RemoveAt(index);
                return item;
        }
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
            case "splitlines": return s.Split('\n').Select(l => (object?)l.TrimEnd('\r')).SkipLast(s.EndsWith('\n') ? 1 : 0).ToList();
            case "upper": return s.ToUpperInvariant();
            case "lower": return s.ToLowerInvariant();
            case "title": return PythonTitle(s);
            case "capitalize": return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            case "replace":
                var count = args.GetLong(2, "count", -1);
                return Replace(s, args.GetString(0, "old"), args.GetString(1, "new"), count);
            case "count": return CountOccurrences(s, args.GetString(0, "sub"));
            case "find": return (long)s.IndexOf(args.GetString(0, "sub"), StringComparison.Ordinal);
            case "rfind": return (long)s.LastIndexOf(args.GetString(0, "sub"), StringComparison.Ordinal);
            case "index":
                var found = s.IndexOf(args.GetString(0, "sub"), StringComparison.Ordinal);
                return found >= 0 ? (long)found : throw new InvalidOperationException("substring not found");
            case "join":
                return string.Join(s, PythonValues.Iterate(args.Get(0, "iterable")).Select(x => x as string
                    ?? throw new InvalidOperationException($"sequence item: expected str instance, {PythonValues.TypeName(x)} found")));
            case "format": return Format(s, args);
            case "isdigit": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum": return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace": return s.Length > 0 && s.All(char.IsWhiteSpace);
            case "islower": return s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            default: return s.Any(char.IsLetter) && !s.Any(char.IsLower); // isupper
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

    /// <summary>Python's str.title(): upper-case the first cased character after an uncased one, lower-case the rest.</summary>
    public static string PythonTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            var cased = char.IsUpper(c) || char.IsLower(c);
            sb.Append(cased ? (previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            previousCased = cased;
        }

        return sb.ToString();
    }

    /// <summary>Python's str.format with {}, {0} and {name} fields (format specs are not supported).</summary>
    private static string Format(string s, CallArguments args)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if ((c == '{' || c == '}') && i + 1 < s.Length && s[i + 1] == c)
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (c != '{')
            {
                sb.Append(c);
                continue;
            }

            var close = s.IndexOf('}', i);
            if (close < 0)
            {
                throw new InvalidOperationException("Single '{' encountered in format string");
            }

            var field = s[(i + 1)..close];
            if (field.Contains(':') || field.Contains('!'))
            {
                throw new InvalidOperationException($"format spec in '{{{field}}}' is not supported");
            }

            object? value = field.Length == 0 ? args.Get(auto++, "\0")
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? args.Get(n, "\0")
                : args.Get(-1, field, new Undefined($"'{field}' is undefined"));
            sb.Append(PythonValues.ToStr(value));
            i = close;
        }

        return sb.ToString();
    }
}
