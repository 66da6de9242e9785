using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// The <c>normalizer</c> of a tokenizer.json, applied to each piece of text between added tokens
/// (HF tokenizers/src/normalizers). Supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, Replace, Prepend, Sequence.
/// </summary>
internal abstract class TextNormalizer
{
    public abstract string Normalize(string text);

    /// <summary>Normalizes text that continues an earlier encoding: as <see cref="Normalize(string)"/>, without Prepend's prefix.</summary>
    public virtual string Normalize(string text, bool continuation) => Normalize(text);

    /// <summary>Builds the normalizer a tokenizer.json node describes; null when the node is JSON null.</summary>
    public static TextNormalizer? FromJson(JsonElement node, string path)
    {
        if (node.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        string type = TokenizerJson.RequiredString(node, "type", path, "normalizer");
        switch (type)
        {
            case "NFC":
                return new Unicode(UnicodeNormalizationForm.Nfc);
            case "NFD":
                return new Unicode(UnicodeNormalizationForm.Nfd);
            case "NFKC":
                return new Unicode(UnicodeNormalizationForm.Nfkc);
            case "NFKD":
                return new Unicode(UnicodeNormalizationForm.Nfkd);
            case "Lowercase":
                return new Lowercase();
            case "Strip":
                return new Strip(
                    TokenizerJson.OptionalBool(node, "strip_left", true),
                    TokenizerJson.OptionalBool(node, "strip_right", true));
            case "Prepend":
                return new Prepend(TokenizerJson.RequiredString(node, "prepend", path, "normalizer Prepend"));
            case "Replace":
                return Replace.Parse(node, path);
            case "Sequence":
                var steps = new List<TextNormalizer>();
                foreach (JsonElement child in TokenizerJson.RequiredArray(node, "normalizers", path, "normalizer Sequence"))
                {
                    if (FromJson(child, path) is { } step)
                    {
                        steps.Add(step);
                    }
                }

                return new Sequence(steps);
            default:
                throw new NotSupportedException(
                    $"{path}: normalizer type '{type}' is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, " +
                    "Strip, Replace, Prepend, Sequence).");
        }
    }

    private sealed class Unicode(UnicodeNormalizationForm form) : TextNormalizer
    {
        public override string Normalize(string text) => UnicodeNormalizer.Normalize(text, form);
    }

    /// <summary>
    /// Rust's <c>str::to_lowercase</c> uses full Unicode case mapping; .NET's invariant mapping is the simple one.
    /// They differ only for a handful of characters (e.g. U+0130 becomes "i̇" in Rust, "i" or itself here).
    /// </summary>
    private sealed class Lowercase : TextNormalizer
    {
        public override string Normalize(string text) => text.ToLowerInvariant();
    }

    /// <summary>Rust's <c>trim_start</c>/<c>trim_end</c>: Unicode White_Space, which is what char.IsWhiteSpace tests.</summary>
    private sealed class Strip(bool left, bool right) : TextNormalizer
    {
        public override string Normalize(string text) => (left, right) switch
        {
            (true, true) => text.Trim(),
            (true, false) => text.TrimStart(),
            (false, true) => text.TrimEnd(),
            _ => text,
        };
    }

    /// <summary>HF Prepend: prefixes non-empty text only.</summary>
    private sealed class Prepend(string prefix) : TextNormalizer
    {
        public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;

        public override string Normalize(string text, bool continuation) => continuation ? text : Normalize(text);
    }

    private sealed class Replace(PreTokenizerRegex? pattern, string? literal, string content) : TextNormalizer
    {
        public static Replace Parse(JsonElement node, string path)
        {
            string content = TokenizerJson.RequiredString(node, "content", path, "normalizer Replace");
            JsonElement pattern = TokenizerJson.RequiredObject(node, "pattern", path, "normalizer Replace");
            if (pattern.TryGetProperty("String", out JsonElement literal) && literal.ValueKind == JsonValueKind.String)
            {
                return new Replace(null, literal.GetString()!, content);
            }

            if (pattern.TryGetProperty("Regex", out JsonElement regex) && regex.ValueKind == JsonValueKind.String)
            {
                return new Replace(PreTokenizerRegex.Compile(regex.GetString()!, path, "normalizer Replace"), null, content);
            }

            throw new InvalidDataException($"{path}: normalizer Replace needs pattern {{\"String\": ...}} or {{\"Regex\": ...}}.");
        }

        public override string Normalize(string text)
        {
            if (literal is not null)
            {
                return literal.Length == 0 ? text : text.Replace(literal, content, StringComparison.Ordinal);
            }

            return pattern!.Replace(text, content.Replace("$", "$$", StringComparison.Ordinal));
        }
    }

    private sealed class Sequence(List<TextNormalizer> steps) : TextNormalizer
    {
        public override string Normalize(string text) => Normalize(text, false);

        public override string Normalize(string text, bool continuation)
        {
            foreach (TextNormalizer step in steps)
            {
                text = step.Normalize(text, continuation);
            }

            return text;
        }
    }
}
