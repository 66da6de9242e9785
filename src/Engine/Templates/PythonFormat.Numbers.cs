using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

// Number rendering shared by both formatting languages: integers in bases 2/8/10/16, floats in f/e/g/% styles,
// digit grouping, sign and padding rules.
internal static partial class PythonFormat
{
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
