using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>Tokens of a Jinja expression: names, numbers, strings and operators.</summary>
internal static class ExpressionLexer
{
    private static readonly string[] Operators = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="];

    public static List<ExpressionToken> Tokenize(string source, int line)
    {
        var tokens = new List<ExpressionToken>();
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new ExpressionToken(ExpressionTokenKind.Name, source[start..i]));
            }
            else if (char.IsDigit(c))
            {
                var start = i;
                while (i < source.Length && (char.IsDigit(source[i]) || source[i] == '_' || (source[i] == '.' && i + 1 < source.Length && char.IsDigit(source[i + 1]))))
                {
                    i++;
                }

                var text = source[start..i].Replace("_", "");
                tokens.Add(text.Contains('.')
                    ? new ExpressionToken(ExpressionTokenKind.Number, text, double.Parse(text, CultureInfo.InvariantCulture))
                    : new ExpressionToken(ExpressionTokenKind.Number, text, long.Parse(text, CultureInfo.InvariantCulture)));
            }
            else if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < source.Length && source[i] != c)
                {
                    if (source[i] == '\\' && i + 1 < source.Length)
                    {
                        i++;
                        sb.Append(source[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => source[i] });
                    }
                    else
                    {
                        sb.Append(source[i]);
                    }

                    i++;
                }

                if (i >= source.Length)
                {
                    throw new TemplateException("unterminated string literal", line);
                }

                i++;
                tokens.Add(new ExpressionToken(ExpressionTokenKind.String, sb.ToString(), sb.ToString()));
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, i, o, 0, o.Length) == 0)
                    ?? throw new TemplateException($"unexpected character '{c}' in expression '{source}'", line);
                tokens.Add(new ExpressionToken(ExpressionTokenKind.Operator, op));
                i += op.Length;
            }
        }

        tokens.Add(new ExpressionToken(ExpressionTokenKind.End, ""));
        return tokens;
    }
}
