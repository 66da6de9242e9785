using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Python's two string formatting languages as templates reach them: printf-style <c>'%5.2f' % x</c> (also the
/// <c>format</c> filter) and <c>str.format</c> with its format-spec mini-language
/// (https://docs.python.org/3/library/stdtypes.html#printf-style-string-formatting,
/// https://docs.python.org/3/library/string.html#format-specification-mini-language).
/// </summary>
internal static partial class PythonFormat
{
    /// <summary>
    /// <c>format % args</c>: args is a tuple of values, or one value. As in CPython, one value that supports item
    /// lookup (a dict, a list, an Undefined) may also serve %(name)s and may go unused.
    /// </summary>
    public static string Percent(string format, object? args)
    {
        var positional = args as object?[] ?? [args];
        var mappingLike = args is IReadOnlyDictionary<string, object?> or Undefined || (args is IReadOnlyList<object?> && args is not object?[]);
        var mapping = args as IReadOnlyDictionary<string, object?>;
        var sb = new StringBuilder(format.Length + 16);
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                sb.Append(format[i]);
                continue;
            }

            if (++i >= format.Length)
            {
                throw new InvalidOperationException("incomplete format");
            }

            object? value = null;
            var haveValue = false;
            if (format[i] == '(')
            {
                var close = format.IndexOf(')', i);
                if (close < 0 || mapping is null)
                {
                    throw new InvalidOperationException(mapping is null ? "format requires a mapping" : "incomplete format key");
                }

                var key = format[(i + 1)..close];
                value = mapping.TryGetValue(key, out var v) ? PythonValues.Normalize(v) : throw new InvalidOperationException($"KeyError: '{key}'");
                haveValue = true;
                i = close + 1;
            }

            var spec = new Spec { Align = '>' };
            for (; i < format.Length && format[i] is '-' or '+' or ' ' or '0' or '#'; i++)
            {
                switch (format[i])
                {
                    case '-': spec.Align = '<'; break;
                    case '+': spec.Sign = '+'; break;
                    case ' ': spec.Sign = spec.Sign == '+' ? '+' : ' '; break;
                    case '0': spec.Zero = true; break;
                    default: spec.Alternate = true; break;
                }
            }

            spec.Width = ReadNumber(format, ref i, () => PythonValues.ToLong(positional.ElementAtOrDefault(next++)));
            if (i < format.Length && format[i] == '.')
            {
                i++;
                spec.Precision = ReadNumber(format, ref i, () => PythonValues.ToLong(positional.ElementAtOrDefault(next++))) ?? 0;
            }

            while (i < format.Length && format[i] is 'h' or 'l' or 'L')
            {
                i++; // length modifiers are accepted and ignored, as in Python
            }

            if (i >= format.Length)
            {
                throw new InvalidOperationException("incomplete format");
            }

            var type = format[i];
            if (type == '%')
            {
                sb.Append('%');
                continue;
            }

            if (!haveValue)
            {
                value = next < positional.Length ? positional[next++] : throw new InvalidOperationException("not enough arguments for format string");
            }

            if (spec.Zero && spec.Align != '<' && type is not ('s' or 'r' or 'a' or 'c'))
            {
                spec.Fill = '0';
                spec.Align = '=';
            }

            sb.Append(type switch
            {
                's' => Pad(Truncate(PythonValues.ToStr(value), spec.Precision), spec),
                'r' or 'a' => Pad(Truncate(PythonValues.Repr(value), spec.Precision), spec),
                'c' => Pad(value is string c ? c : char.ConvertFromUtf32((int)PythonValues.ToLong(value)), spec),
                'd' or 'i' or 'u' => FormatInteger(IntegerOf(value, type), 'd', spec),
                'o' or 'x' or 'X' => FormatInteger(value is double ? throw new InvalidOperationException($"%{type} format: an integer is required, not float") : PythonValues.ToLong(value), type, spec),
                'e' or 'E' or 'f' or 'F' or 'g' or 'G' => FormatFloat(PythonValues.ToDouble(value), type, spec, percentStyle: true),
                _ => throw new InvalidOperationException($"unsupported format character '{type}' (0x{(int)type:x})"),
            });
        }

        if (next < positional.Length && !mappingLike)
        {
            throw new InvalidOperationException("not all arguments converted during string formatting");
        }

        return sb.ToString();
    }

    /// <summary><c>str.format(*args, **kwargs)</c>: {}, {0}, {name}, .attr / [key] lookups, !r / !s, and :spec.</summary>
    public static string Format(string format, CallArguments args)
    {
        var sb = new StringBuilder(format.Length + 16);
        var auto = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if ((c == '{' || c == '}') && i + 1 < format.Length && format[i + 1] == c)
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (c == '}')
            {
                throw new InvalidOperationException("Single '}' encountered in format string");
            }

            if (c != '{')
            {
                sb.Append(c);
                continue;
            }

            var close = format.IndexOf('}', i);
            if (close < 0)
            {
                throw new InvalidOperationException("Single '{' encountered in format string");
            }

            var field = format[(i + 1)..close];
            if (field.Contains('{'))
            {
                throw new InvalidOperationException($"nested fields in '{{{field}}}' are not supported");
            }

            var colon = field.IndexOf(':');
            var spec = colon < 0 ? "" : field[(colon + 1)..];
            field = colon < 0 ? field : field[..colon];
            var bang = field.IndexOf('!');
            var conversion = bang < 0 ? '\0' : field[(bang + 1)..] is [var conv] ? conv : throw new InvalidOperationException("invalid conversion");
            field = bang < 0 ? field : field[..bang];

            var nameEnd = field.IndexOfAny(['.', '[']);
            var head = nameEnd < 0 ? field : field[..nameEnd];
            object? value = head.Length == 0 ? args.Get(auto++, "\0")
                : int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? args.Get(n, "\0")
                : args.Get(-1, head, new Undefined($"'{head}' is undefined"));
            value = Lookup(value, nameEnd < 0 ? "" : field[nameEnd..]);
            value = conversion switch
            {
                '\0' => value,
                's' => PythonValues.ToStr(value),
                'r' or 'a' => PythonValues.Repr(value),
                _ => throw new InvalidOperationException($"Unknown conversion specifier {conversion}"),
            };
            sb.Append(FormatValue(value, spec));
            i = close;
        }

        return sb.ToString();
    }

    /// <summary>Python's format(value, spec).</summary>
    public static string FormatValue(object? value, string specText)
    {
        value = PythonValues.Unmark(value);
        if (specText.Length == 0)
        {
            return PythonValues.ToStr(value);
        }

        var spec = ParseSpec(specText, out var type);
        switch (value)
        {
            case string s:
                if (type is not ('\0' or 's') || spec.Sign != '\0' || spec.Alternate || spec.Align == '=')
                {
                    throw new InvalidOperationException($"Unknown format code '{type}' for object of type 'str'");
                }

                return Pad(Truncate(s, spec.Precision), spec with { Align = spec.Align == '\0' ? '<' : spec.Align });
            case bool or long when type is '\0' or 'd' or 'n' or 'b' or 'o' or 'x' or 'X' or 'c':
                if (value is bool flag && type == '\0' && spec.Precision is null && spec.Sign == '\0' && !spec.Zero)
                {
                    return Pad(flag ? "True" : "False", spec with { Align = spec.Align == '\0' ? '<' : spec.Align });
                }

                return type == 'c'
                    ? Pad(char.ConvertFromUtf32((int)PythonValues.ToLong(value)), spec with { Align = spec.Align == '\0' ? '<' : spec.Align })
                    : FormatInteger(PythonValues.ToLong(value), type is '\0' or 'n' ? 'd' : type, Numeric(spec));
            case bool or long or double when type is '\0' or 'e' or 'E' or 'f' or 'F' or 'g' or 'G' or 'n' or '%':
                return FormatFloat(PythonValues.ToDouble(value), type, Numeric(spec), percentStyle: false);
            default:
                throw new InvalidOperationException($"unsupported format string passed to {PythonValues.TypeName(value)}.__format__");
        }
    }

    private static object? Lookup(object? value, string path)
    {
        for (var i = 0; i < path.Length;)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                value = PythonOperators.GetAttribute(value, path[(i + 1)..end]);
                i = end;
            }
            else
            {
                var end = path.IndexOf(']', i);
                var key = path[(i + 1)..end];
                value = PythonOperators.GetItem(value, long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : key);
                i = end + 1;
            }
        }

        return value;
    }

    private record struct Spec(char Fill, char Align, char Sign, bool Alternate, bool Zero, int? Width, char Grouping, int? Precision);

    private static Spec Numeric(Spec spec) => spec.Align == '\0'
        ? spec with { Align = spec.Zero ? '=' : '>', Fill = spec.Zero ? '0' : spec.Fill }
        : spec;

    private static Spec ParseSpec(string text, out char type)
    {
        var spec = new Spec { Fill = ' ' };
        var i = 0;
        if (text.Length >= 2 && text[1] is '<' or '>' or '^' or '=')
        {
            spec.Fill = text[0];
            spec.Align = text[1];
            i = 2;
        }
        else if (text.Length >= 1 && text[0] is '<' or '>' or '^' or '=')
        {
            spec.Align = text[0];
            i = 1;
        }

        if (i < text.Length && text[i] is '+' or '-' or ' ')
        {
            spec.Sign = text[i++];
        }

        if (i < text.Length && text[i] == '#')
        {
            spec.Alternate = true;
            i++;
        }

        if (i < text.Length && text[i] == '0')
        {
            spec.Zero = true;
            i++;
        }

        spec.Width = ReadNumber(text, ref i, null);
        if (i < text.Length && text[i] is ',' or '_')
        {
            spec.Grouping = text[i++];
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            spec.Precision = ReadNumber(text, ref i, null) ?? throw new InvalidOperationException("Format specifier missing precision");
        }

        type = i < text.Length ? text[i++] : '\0';
        if (i != text.Length)
        {
            throw new InvalidOperationException($"Invalid format specifier '{text}'");
        }

        return spec;
    }

    private static int? ReadNumber(string text, ref int i, Func<long>? star)
    {
        if (star is not null && i < text.Length && text[i] == '*')
        {
            i++;
            return (int)star();
        }

        var start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        return i > start ? int.Parse(text.AsSpan(start, i - start), CultureInfo.InvariantCulture) : null;
    }
}
