using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Global functions: transformers' raise_exception and strftime_now
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/utils/chat_template_utils.py) and jinja2's
/// namespace, range and dict.
/// </summary>
internal static class TemplateGlobals
{
    public static object? Call(BuiltinFunction function, CallArguments args, TimeProvider clock)
    {
        switch (function.Name)
        {
            case "raise_exception":
                throw new TemplateRaisedException(args.GetString(0, "message"));
            case "strftime_now":
                return Strftime(clock.GetLocalNow().DateTime, args.GetString(0, "format"));
            case "namespace":
                var ns = new TemplateNamespace();
                if (args.Count > 0 && args.Positional[0] is IReadOnlyDictionary<string, object?> initial)
                {
                    foreach (var kv in initial)
                    {
                        ns.Attributes[kv.Key] = PythonValues.Normalize(kv.Value);
                    }
                }

                foreach (var kv in args.Keywords)
                {
                    ns.Attributes[kv.Key] = kv.Value;
                }

                return ns;
            case "dict":
                var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var kv in args.Keywords)
                {
                    dict[kv.Key] = kv.Value;
                }

                return dict;
            default: // range
                long start = 0, stop, step = 1;
                if (args.Count == 1)
                {
                    stop = PythonValues.ToLong(args.Positional[0]);
                }
                else
                {
                    start = PythonValues.ToLong(args.Get(0, "start"));
                    stop = PythonValues.ToLong(args.Get(1, "stop"));
                    step = args.GetLong(2, "step", 1);
                }

                if (step == 0)
                {
                    throw new InvalidOperationException("range() arg 3 must not be zero");
                }

                var values = new List<object?>();
                for (var i = start; step > 0 ? i < stop : i > stop; i += step)
                {
                    values.Add(i);
                }

                return values;
        }
    }

    /// <summary>Python's datetime.strftime for the C-standard directives (plus glibc's %-d style no-padding flag).</summary>
    public static string Strftime(DateTime t, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            var noPad = format[i + 1] == '-' && i + 2 < format.Length;
            var code = format[noPad ? i + 2 : i + 1];
            i += noPad ? 2 : 1;
            string Num(int v, int width) => noPad ? v.ToString(c) : v.ToString(new string('0', width), c);
            sb.Append(code switch
            {
                'a' => t.ToString("ddd", c),
                'A' => t.ToString("dddd", c),
                'b' or 'h' => t.ToString("MMM", c),
                'B' => t.ToString("MMMM", c),
                'd' => Num(t.Day, 2),
                'e' => t.Day.ToString(c).PadLeft(2),
                'm' => Num(t.Month, 2),
                'y' => Num(t.Year % 100, 2),
                'Y' => t.Year.ToString(c),
                'H' => Num(t.Hour, 2),
                'I' => Num(t.Hour % 12 == 0 ? 12 : t.Hour % 12, 2),
                'M' => Num(t.Minute, 2),
                'S' => Num(t.Second, 2),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'j' => Num(t.DayOfYear, 3),
                'w' => ((int)t.DayOfWeek).ToString(c),
                'u' => (t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek).ToString(c),
                'F' => t.ToString("yyyy-MM-dd", c),
                'T' => t.ToString("HH:mm:ss", c),
                'D' => t.ToString("MM/dd/yy", c),
                'Z' or 'z' => "",
                '%' => "%",
                _ => "%" + code,
            });
        }

        return sb.ToString();
    }
}

/// <summary>A template's own <c>raise_exception(message)</c>; surfaces as a <see cref="TemplateException"/> carrying the message.</summary>
internal sealed class TemplateRaisedException(string message) : Exception(message);
