using System.Globalization;
using System.Numerics;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Python's int(str, base), float(str) and round(x, n) as jinja2's int, float and round filters call them
/// (https://docs.python.org/3/library/functions.html#int, #float, #round).
/// </summary>
internal static class PythonNumbers
{
    /// <summary>int(text, base): surrounding whitespace, a sign, a 0x/0o/0b prefix matching the base (any with base 0), '_' between digits.</summary>
    public static bool TryParseInt(string text, int numberBase, out long value)
    {
        value = 0;
        var s = text.Trim().AsSpan();
        var negative = false;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s.Length >= 2 && s[0] == '0' && char.ToLowerInvariant(s[1]) is 'x' or 'o' or 'b')
        {
            var prefixBase = char.ToLowerInvariant(s[1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            if (numberBase == 0 || numberBase == prefixBase)
            {
                numberBase = prefixBase;
                s = s[2..];
                if (s.Length > 0 && s[0] == '_')
                {
                    s = s[1..];
                }
            }
        }
        else if (numberBase == 0)
        {
            // Base 0 reads a decimal literal, where leading zeros are only allowed in zero itself.
            numberBase = 10;
            if (s.Length > 1 && s[0] == '0' && s.ContainsAnyExcept("0_"))
            {
                return false;
            }
        }

        if (numberBase is < 2 or > 36 || s.Length == 0 || s[0] == '_' || s[^1] == '_')
        {
            return false;
        }

        var magnitude = BigInteger.Zero;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '_')
            {
                if (s[i - 1] == '_')
                {
                    return false;
                }

                continue;
            }

            var digit = char.IsAsciiDigit(s[i]) ? s[i] - '0' : char.IsAsciiLetter(s[i]) ? char.ToLowerInvariant(s[i]) - 'a' + 10 : 99;
            if (digit >= numberBase)
            {
                return false;
            }

            magnitude = (magnitude * numberBase) + digit;
        }

        var signed = negative ? -magnitude : magnitude;
        if (signed < long.MinValue || signed > long.MaxValue)
        {
            throw new InvalidOperationException($"integer {signed} does not fit in 64 bits (Python ints are unbounded)");
        }

        value = (long)signed;
        return true;
    }

    /// <summary>float(text): decimal or exponent notation with '_' between digits, inf / infinity / nan in any case, with a sign.</summary>
    public static bool TryParseFloat(string text, out double value)
    {
        var s = text.Trim();
        var unsigned = s.Length > 0 && s[0] is '+' or '-' ? s[1..] : s;
        var sign = s.StartsWith('-') ? -1.0 : 1.0;
        switch (unsigned.ToLowerInvariant())
        {
            case "inf" or "infinity":
                value = sign * double.PositiveInfinity;
                return true;
            case "nan":
                value = double.NaN;
                return true;
        }

        value = 0;
        if (unsigned.Length == 0 || !char.IsAsciiDigit(unsigned[0]) && unsigned[0] != '.' || unsigned.Contains("__", StringComparison.Ordinal)
            || unsigned.EndsWith('_') || unsigned.Contains("_.", StringComparison.Ordinal) || unsigned.Contains("._", StringComparison.Ordinal))
        {
            return false;
        }

        return double.TryParse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value);
    }

    /// <summary>round(x, digits) for a float: the exact binary value rounded half-to-even at that decimal place (so 2.675 gives 2.67).</summary>
    public static double Round(double x, int digits)
    {
        if (!double.IsFinite(x) || x == 0)
        {
            return x;
        }

        // x = mantissa * 2^exponent exactly; scale by 10^digits and round the exact rational half-to-even.
        var bits = BitConverter.DoubleToInt64Bits(x);
        var exponentBits = (int)((bits >> 52) & 0x7FF);
        var mantissa = new BigInteger(bits & 0xFFFFFFFFFFFFFL);
        var exponent = exponentBits == 0 ? -1074 : exponentBits - 1075;
        if (exponentBits != 0)
        {
            mantissa += BigInteger.One << 52;
        }

        BigInteger numerator = mantissa, denominator = BigInteger.One;
        if (exponent >= 0)
        {
            numerator <<= exponent;
        }
        else
        {
            denominator <<= -exponent;
        }

        if (digits >= 0)
        {
            numerator *= BigInteger.Pow(10, digits);
        }
        else
        {
            denominator *= BigInteger.Pow(10, -digits);
        }

        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || (twice == denominator && !quotient.IsEven))
        {
            quotient += 1;
        }

        var text = digits >= 0 ? $"{quotient}E-{digits}" : $"{quotient}E{-digits}";
        var rounded = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return x < 0 ? -rounded : rounded;
    }

    /// <summary>round(n, digits) for an int: unchanged for digits &gt;= 0, else half-to-even at that power of ten.</summary>
    public static long Round(long n, int digits)
    {
        if (digits >= 0)
        {
            return n;
        }

        var unit = BigInteger.Pow(10, -digits);
        var quotient = BigInteger.DivRem(BigInteger.Abs(n), unit, out var remainder);
        if (remainder * 2 > unit || (remainder * 2 == unit && !quotient.IsEven))
        {
            quotient += 1;
        }

        var result = quotient * unit * (n < 0 ? -1 : 1);
        return result >= long.MinValue && result <= long.MaxValue ? (long)result : throw new InvalidOperationException("rounded integer does not fit in 64 bits");
    }
}
