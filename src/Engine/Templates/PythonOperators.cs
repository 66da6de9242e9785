using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Attribute/item access, slicing and arithmetic with Python's rules and jinja2's lookup order
/// (environment.getattr tries the attribute, then the item; a miss gives Undefined rather than an error).
/// </summary>
internal static class PythonOperators
{
    private static readonly HashSet<string> DictMethods = ["items", "keys", "values", "get"];

    public static object? GetAttribute(object? target, string name)
    {
        switch (target)
        {
            case Undefined u:
                throw new InvalidOperationException(u.Hint);
            case IReadOnlyDictionary<string, object?> dict:
                if (DictMethods.Contains(name))
                {
                    return new BoundMethod(target, name);
                }

                return dict.TryGetValue(name, out var value)
                    ? PythonValues.Normalize(value)
                    : new Undefined($"'dict object' has no attribute '{name}'");
            case TemplateNamespace ns:
                return ns.Attributes.TryGetValue(name, out var attribute) ? attribute : new Undefined($"'Namespace' has no attribute '{name}'");
            case LoopState loop:
                return loop.Get(name);
            case string or IReadOnlyList<object?> when TemplateMethods.IsMethod(target, name):
                return new BoundMethod(target, name);
            default:
                return new Undefined($"'{PythonValues.TypeName(target)} object' has no attribute '{name}'");
        }
    }

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined u:
                throw new InvalidOperationException(u.Hint);
            case IReadOnlyDictionary<string, object?> dict:
                return key is string k && dict.TryGetValue(k, out var value)
                    ? PythonValues.Normalize(value)
                    : new Undefined($"'dict object' has no attribute {PythonValues.Repr(key)}");
            case string s when key is long or bool:
                var chars = PythonValues.HasSurrogates(s) ? PythonValues.CodePoints(s) : null;
                var length = chars?.Count ?? s.Length;
                var index = PythonValues.ToLong(key);
                if (index < 0)
                {
                    index += length;
                }

                if (index < 0 || index >= length)
                {
                    return new Undefined("string index out of range");
                }

                return chars is null ? s[(int)index].ToString() : chars[(int)index];
            case IReadOnlyList<object?> list when key is long or bool:
                var i = PythonValues.ToLong(key);
                if (i < 0)
                {
                    i += list.Count;
                }

                return i >= 0 && i < list.Count
                    ? PythonValues.Normalize(list[(int)i])
                    : new Undefined($"'{PythonValues.TypeName(target)} object' has no element {PythonValues.Repr(key)}");
            case TemplateNamespace or LoopState when key is string name:
                return GetAttribute(target, name);
            default:
                return key is string attribute && target is not null
                    ? GetAttribute(target, attribute)
                    : new Undefined($"'{PythonValues.TypeName(target)} object' has no element {PythonValues.Repr(key)}");
        }
    }

    /// <summary>Python's <c>target[start:stop:step]</c> on lists, tuples and strings.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        if (target is Undefined u)
        {
            throw new InvalidOperationException(u.Hint);
        }

        IReadOnlyList<object?> items = target switch
        {
            string s => PythonValues.HasSurrogates(s) ? PythonValues.CodePoints(s) : null!,
            IReadOnlyList<object?> l => l,
            _ => throw new InvalidOperationException($"'{PythonValues.TypeName(target)}' object is not subscriptable"),
        };
        var length = items?.Count ?? ((string)target).Length;
        var by = step is null ? 1 : PythonValues.ToLong(step);
        if (by == 0)
        {
            throw new InvalidOperationException("slice step cannot be zero");
        }

        var from = AdjustIndex(start, length, by, isStart: true);
        var to = AdjustIndex(stop, length, by, isStart: false);
        var picked = new List<int>();
        for (var i = from; by > 0 ? i < to : i > to; i += by)
        {
            picked.Add((int)i);
        }

        if (target is string str)
        {
            var sb = new StringBuilder(picked.Count);
            foreach (var i in picked)
            {
                sb.Append(items is null ? str[i] : (string)items[i]!);
            }

            return sb.ToString();
        }

        var result = picked.Select(i => items![i]).ToList();
        return target is object?[] ? result.ToArray() : result;
    }

    private static long AdjustIndex(object? index, int length, long step, bool isStart)
    {
        if (index is null)
        {
            return isStart ? (step < 0 ? length - 1 : 0) : (step < 0 ? -1 : length);
        }

        var i = PythonValues.ToLong(index);
        if (i < 0)
        {
            i += length;
            if (i < 0)
            {
                i = step < 0 ? -1 : 0;
            }
        }
        else if (i >= length)
        {
            i = step < 0 ? length - 1 : length;
        }

        return i;
    }

    public static object? Binary(BinaryOperator op, object? a, object? b)
    {
        if (op == BinaryOperator.Concat)
        {
            return string.Concat(PythonValues.ToStr(a), PythonValues.ToStr(b));
        }

        if (a is Undefined ua)
        {
            throw new InvalidOperationException(ua.Hint);
        }

        if (b is Undefined ub)
        {
            throw new InvalidOperationException(ub.Hint);
        }

        if (PythonValues.IsNumber(a) && PythonValues.IsNumber(b))
        {
            return Arithmetic(op, a, b);
        }

        return (op, a, b) switch
        {
            (BinaryOperator.Add, string s, string t) => s + t,
            (BinaryOperator.Modulo, string format, _) => TemplateFilters.PercentFormat(format, new CallArguments(b as object?[] ?? [b], [])),
            (BinaryOperator.Add, object?[] x, object?[] y) => (object?[])[.. x, .. y],
            (BinaryOperator.Add, IReadOnlyList<object?> x, IReadOnlyList<object?> y)
                when x is not IReadOnlyDictionary<string, object?> && y is not IReadOnlyDictionary<string, object?> => x.Concat(y).ToList(),
            (BinaryOperator.Multiply, string s, long or bool) => Repeat(s, PythonValues.ToLong(b)),
            (BinaryOperator.Multiply, long or bool, string s) => Repeat(s, PythonValues.ToLong(a)),
            (BinaryOperator.Multiply, IReadOnlyList<object?> x, long n) => Enumerable.Repeat(x, (int)Math.Max(0, n)).SelectMany(l => l).ToList(),
            _ => throw new InvalidOperationException(
                $"unsupported operand type(s) for {Symbol(op)}: '{PythonValues.TypeName(a)}' and '{PythonValues.TypeName(b)}'"),
        };
    }

    private static string Repeat(string s, long n) => n <= 0 ? "" : new StringBuilder(s.Length * (int)n).Insert(0, s, (int)n).ToString();

    private static string Symbol(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        BinaryOperator.FloorDivide => "//",
        BinaryOperator.Modulo => "%",
        BinaryOperator.Power => "**",
        _ => "~",
    };

    private static object Arithmetic(BinaryOperator op, object? a, object? b)
    {
        var integral = a is not double && b is not double;
        if (op == BinaryOperator.Divide)
        {
            var divisor = PythonValues.ToDouble(b);
            return divisor == 0 ? throw new InvalidOperationException("division by zero") : PythonValues.ToDouble(a) / divisor;
        }

        if (integral)
        {
            long x = PythonValues.ToLong(a), y = PythonValues.ToLong(b);
            switch (op)
            {
                case BinaryOperator.Add: return x + y;
                case BinaryOperator.Subtract: return x - y;
                case BinaryOperator.Multiply: return x * y;
                case BinaryOperator.FloorDivide or BinaryOperator.Modulo when y == 0:
                    throw new InvalidOperationException("integer division or modulo by zero");
                case BinaryOperator.FloorDivide: return FloorDiv(x, y);
                case BinaryOperator.Modulo: return ((x % y) + y) % y;
                case BinaryOperator.Power when y >= 0:
                    long result = 1;
                    for (var i = 0L; i < y; i++)
                    {
                        result *= x;
                    }

                    return result;
            }
        }

        double p = PythonValues.ToDouble(a), r = PythonValues.ToDouble(b);
        return op switch
        {
            BinaryOperator.Add => p + r,
            BinaryOperator.Subtract => p - r,
            BinaryOperator.Multiply => p * r,
            BinaryOperator.FloorDivide => r == 0 ? throw new InvalidOperationException("float floor division by zero") : Math.Floor(p / r),
            BinaryOperator.Modulo => r == 0 ? throw new InvalidOperationException("float modulo") : p - (r * Math.Floor(p / r)),
            _ => Math.Pow(p, r),
        };
    }

    private static long FloorDiv(long x, long y)
    {
        var q = x / y;
        return (x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q;
    }

    public static object? Negate(object? value, bool positive) => value switch
    {
        long l => (object)(positive ? l : -l),
        double d => positive ? d : -d,
        bool b => positive ? (b ? 1L : 0L) : (b ? -1L : 0L),
        Undefined u => throw new InvalidOperationException(u.Hint),
        _ => throw new InvalidOperationException($"bad operand type for unary {(positive ? '+' : '-')}: '{PythonValues.TypeName(value)}'"),
    };
}
