using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Python's json.dumps, which transformers' tojson filter calls with ensure_ascii=False
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/utils/chat_template_utils.py):
/// ", " and ": " separators (",") with an indent), keys in insertion order, floats as repr(), no HTML escaping.
/// </summary>
internal static class PythonJson
{
    public static string Dumps(object? value, string? indent = null, bool ensureAscii = false, bool sortKeys = false,
        string? itemSeparator = null, string? keySeparator = null)
    {
        var sb = new StringBuilder();
        var writer = new Writer(sb, indent, ensureAscii, sortKeys, itemSeparator ?? (indent is null ? ", " : ","), keySeparator ?? ": ");
        writer.Write(value, 0);
        return sb.ToString();
    }

    private sealed class Writer(StringBuilder sb, string? indent, bool ensureAscii, bool sortKeys, string itemSeparator, string keySeparator)
    {
        public void Write(object? value, int depth)
        {
            switch (PythonValues.Normalize(value))
            {
                case null:
                    sb.Append("null");
                    break;
                case bool b:
                    sb.Append(b ? "true" : "false");
                    break;
                case long l:
                    sb.Append(l.ToString(CultureInfo.InvariantCulture));
                    break;
                case double d:
                    sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : PythonValues.FloatRepr(d));
                    break;
                case string s:
                    WriteString(s);
                    break;
                case IReadOnlyDictionary<string, object?> dict:
                    var entries = sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                    WriteContainer('{', '}', entries.Count, depth, i =>
                    {
                        WriteString(entries[i].Key);
                        sb.Append(keySeparator);
                        Write(entries[i].Value, depth + 1);
                    });
                    break;
                case IReadOnlyList<object?> list:
                    WriteContainer('[', ']', list.Count, depth, i => Write(list[i], depth + 1));
                    break;
                case TemplateNamespace or TemplateMacro or Undefined or LoopState or BoundMethod or BuiltinFunction:
                    throw new InvalidOperationException($"Object of type {PythonValues.TypeName(value)} is not JSON serializable");
                case var other:
                    WriteString(PythonValues.ToStr(other));
                    break;
            }
        }

        private void WriteContainer(char open, char close, int count, int depth, Action<int> writeItem)
        {
            sb.Append(open);
            if (count == 0)
            {
                sb.Append(close);
                return;
            }

            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    sb.Append(itemSeparator);
                }

                NewLine(depth + 1);
                writeItem(i);
            }

            NewLine(depth);
            sb.Append(close);
        }

        private void NewLine(int depth)
        {
            if (indent is null)
            {
                return;
            }

            sb.Append('\n');
            for (var i = 0; i < depth; i++)
            {
                sb.Append(indent);
            }
        }

        private void WriteString(string s)
        {
            sb.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || (ensureAscii && c > 0x7e))
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }

                        break;
                }
            }

            sb.Append('"');
        }
    }
}
