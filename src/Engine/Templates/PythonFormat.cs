using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Python's two string formatting languages as templates reach them: printf-style <c>'%5.2f' % x</c> (also the
/// <c>format</c> filter) and <c>str.format</c> with its format-spec mini-language
/// (https://docs.python.org/3/library/stdtypes.html#printf-style-string-formatting,
/// https://docs.python.org/3/library/string.html#format-specification-mini-language).
/// </summary>
internal static class PythonFormat
{
    /// <summary><c>format % args</c>: args is a tuple of values, a mapping for %(name)s, or one value.</summary>
    public static string Percent(string format, object? args)
    {
        var positional = args as object?[] ?? (args is IReadOnlyDictionary<string, object?> ? [] : [args]);
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

        if (next < positional.Length && mapping is null)
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

    private static long IntegerOf(object? value, char type) => value switch
    {
        double d => double.IsFinite(d) ? (long)Math.Truncate(d) : throw new InvalidOperationException("cannot convert float infinity or NaN to integer"),
        long or bool => PythonValues.ToLong(value),
        _ => throw new InvalidOperationException($"%{type} format: a real number is required, not {PythonValues.TypeName(value)}"),
    };

    private static string FormatInteger(long value, char type, Spec spec)
    {
        var magnitude = value == long.MinValue ? 9223372036854775808UL : (ulong)Math.Abs(value);
        var digits = type switch
        {
            'b' => Convert.ToString((long)magnitude, 2),
            'o' => Convert.ToString((long)magnitude, 8),
            'x' => magnitude.ToString("x", CultureInfo.InvariantCulture),
            'X' => magnitude.ToString("X", CultureInfo.InvariantCulture),
            _ => magnitude.ToString(CultureInfo.InvariantCulture),
        };
        if (spec.Grouping != '\0')
        {
            digits = Group(digits, spec.Grouping, type is 'd' ? 3 : 4);
        }

        if (spec.Precision is int minimum && digits.Length < minimum)
        {
            digits = new string('0', minimum - digits.Length) + digits; // printf-style %.3d
        }

        var prefix = spec.Alternate ? type switch { 'b' => "0b", 'o' => "0o", 'x' => "0x", 'X' => "0X", _ => "" } : "";
        return PadNumber(SignOf(value < 0, spec.Sign), prefix + digits, spec);
    }

    private static string FormatFloat(double value, char type, Spec spec, bool percentStyle)
    {
        var negative = value < 0 || (value == 0 && double.IsNegative(value));
        var x = Math.Abs(value);
        string body;
        if (!double.IsFinite(x))
        {
            body = double.IsNaN(x) ? "nan" : "inf";
            body = char.IsUpper(type) ? body.ToUpperInvariant() : body;
        }
        else if (type == '\0' && spec.Precision is null)
        {
            body = PythonValues.FloatRepr(x); // format(1.5, '>8') pads repr
        }
        else
        {
            var precision = spec.Precision ?? 6;
            body = type switch
            {
                'f' or 'F' => x.ToString("F" + precision, CultureInfo.InvariantCulture),
                'e' or 'E' => Exponent(x, precision, type),
                '%' => (x * 100).ToString("F" + precision, CultureInfo.InvariantCulture) + "%",
                _ => General(x, precision, type == 'G' ? 'E' : 'e', spec.Alternate, keepPoint: type == '\0' && !percentStyle),
            };
            if (spec.Grouping != '\0')
            {
                var dot = body.IndexOfAny(['.', 'e', 'E', '%']);
                body = Group(dot < 0 ? body : body[..dot], spec.Grouping, 3) + (dot < 0 ? "" : body[dot..]);
            }
        }

        return PadNumber(SignOf(negative, spec.Sign), body, spec);
    }

    private static string Exponent(double x, int precision, char e)
    {
        var text = x.ToString((e == 'E' ? "E" : "e") + precision, CultureInfo.InvariantCulture); // 3.14e+000
        var at = text.IndexOfAny(['e', 'E']);
        var exponent = int.Parse(text.AsSpan(at + 1), CultureInfo.InvariantCulture);
        return $"{text[..at]}{e}{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
    }

    /// <summary>%g / 'g': precision significant digits, exponent notation when the exponent is &lt; -4 or &gt;= precision.</summary>
    private static string General(double x, int precision, char e, bool alternate, bool keepPoint)
    {
        precision = precision == 0 ? 1 : precision;
        if (x == 0)
        {
            return alternate ? "0." + new string('0', precision - 1) : keepPoint ? "0.0" : "0";
        }

        var scientific = Exponent(x, precision - 1, e);
        var exponent = int.Parse(scientific.AsSpan(scientific.IndexOf(e) + 1), CultureInfo.InvariantCulture);
        string text;
        if (exponent >= -4 && exponent < precision)
        {
            text = x.ToString("F" + (precision - 1 - exponent), CultureInfo.InvariantCulture);
            if (!alternate && text.Contains('.'))
            {
                text = text.TrimEnd('0').TrimEnd('.');
            }

            return keepPoint && !text.Contains('.') ? text + ".0" : text;
        }

        var at = scientific.IndexOf(e);
        var mantissa = scientific[..at];
        if (!alternate && mantissa.Contains('.'))
        {
            mantissa = mantissa.TrimEnd('0').TrimEnd('.');
        }

        return mantissa + scientific[at..];
    }

    private static string Group(string digits, char separator, int size)
    {
        var sb = new StringBuilder(digits.Length + (digits.Length / size));
        for (var i = 0; i < digits.Length; i++)
        {
            if (i > 0 && (digits.Length - i) % size == 0)
            {
                sb.Append(separator);
            }

            sb.Append(digits[i]);
        }

        return sb.ToString();
    }

    private static string SignOf(bool negative, char sign) => negative ? "-" : sign switch { '+' => "+", ' ' => " ", _ => "" };

    private static string Truncate(string s, int? precision) =>
        precision is int p && PythonValues.Length(s) > p ? string.Concat(PythonValues.CodePoints(s).Take(p)) : s;

    private static string PadNumber(string sign, string body, Spec spec)
    {
        if (spec.Align == '=' && spec.Width is int width && sign.Length + body.Length < width)
        {
            return sign + new string(spec.Fill == '\0' ? ' ' : spec.Fill, width - sign.Length - body.Length) + body;
        }

        return Pad(sign + body, spec.Align == '=' ? spec with { Align = '>' } : spec);
    }

    private static string Pad(string s, Spec spec)
    {
        var margin = (spec.Width ?? 0) - (int)PythonValues.Length(s);
        if (margin <= 0)
        {
            return s;
        }

        var fill = spec.Fill == '\0' ? ' ' : spec.Fill;
        return spec.Align switch
        {
            '<' => s + new string(fill, margin),
            '^' => new string(fill, margin / 2) + s + new string(fill, margin - (margin / 2)),
            _ => new string(fill, margin) + s,
        };
    }
}
