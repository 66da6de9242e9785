using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// HF's Metaspace pre-tokenizer (tokenizers/src/pre_tokenizers/metaspace.rs), the SentencePiece convention of
/// Mistral and newer Llama-style tokenizer.json files: every ' ' becomes the replacement ('▁'), the piece gets a '▁'
/// in front by <c>prepend_scheme</c>, and with <c>split</c> it is cut before every '▁'
/// (SplitDelimiterBehavior::MergedWithNext).
/// </summary>
internal sealed class MetaspacePreTokenizer : PreTokenizer
{
    private readonly string _replacement;
    private readonly PrependScheme _scheme;
    private readonly bool _split;

    public MetaspacePreTokenizer(string replacement, PrependScheme scheme, bool split)
    {
        _replacement = replacement;
        _scheme = scheme;
        _split = split;
    }

    /// <summary>
    /// Reads the JSON as HF's deserializer does: prepend_scheme defaults to "always"; the legacy
    /// <c>add_prefix_space: false</c> means "never" (and contradicts any other declared scheme); split defaults to true.
    /// </summary>
    public static MetaspacePreTokenizer Parse(JsonElement node, string path) =>
        new(ReadCharacter(node, "replacement", path, "pre_tokenizer Metaspace"), ReadScheme(node, path, "pre_tokenizer Metaspace"),
            TokenizerJson.OptionalBool(node, "split", true));

    /// <summary>A field holding one character (a Rust <c>char</c>: one Unicode scalar value).</summary>
    public static string ReadCharacter(JsonElement node, string field, string path, string what)
    {
        string replacement = TokenizerJson.RequiredString(node, field, path, what);
        bool oneScalar = replacement.Length == 1 ? !char.IsSurrogate(replacement[0]) : replacement.Length == 2 && char.IsSurrogatePair(replacement, 0);
        if (!oneScalar)
        {
            throw new InvalidDataException($"{path}: {what} \"{field}\" must be a single character, not \"{replacement}\".");
        }

        return replacement;
    }

    public static PrependScheme ReadScheme(JsonElement node, string path, string what)
    {
        string name = TokenizerJson.OptionalNode(node, "prepend_scheme") is { ValueKind: JsonValueKind.String } s ? s.GetString()! : "always";
        PrependScheme scheme = name switch
        {
            "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            _ => throw new InvalidDataException($"{path}: {what} has unknown prepend_scheme '{name}' (expected always, first or never)."),
        };
        if (TokenizerJson.OptionalNode(node, "add_prefix_space").ValueKind == JsonValueKind.False)
        {
            if (scheme != PrependScheme.Never && TokenizerJson.OptionalNode(node, "prepend_scheme").ValueKind == JsonValueKind.String)
            {
                throw new InvalidDataException($"{path}: {what} add_prefix_space false does not match prepend_scheme '{name}'.");
            }

            scheme = PrependScheme.Never;
        }

        return scheme;
    }

    public override void Split(List<TextSlice> input, List<TextSlice> output, SectionStart section)
    {
        foreach (TextSlice slice in input)
        {
            if (slice.Length == 0)
            {
                continue;
            }

            string text = slice.Span.ToString().Replace(" ", _replacement, StringComparison.Ordinal);
            bool prepend = !text.StartsWith(_replacement, StringComparison.Ordinal) && _scheme switch
            {
                PrependScheme.Always => section != SectionStart.Continuation || slice.Start > 0,
                PrependScheme.First => section == SectionStart.Text && slice.Start == 0,
                _ => false,
            };
            if (prepend)
            {
                text = _replacement + text;
            }

            if (!_split)
            {
                output.Add(new TextSlice(text, 0, text.Length));
                continue;
            }

            // MergedWithNext on single-character matches: a new piece begins at every replacement character.
            int start = 0;
            for (int at = text.IndexOf(_replacement, 1, StringComparison.Ordinal); at > 0; at = text.IndexOf(_replacement, at + 1, StringComparison.Ordinal))
            {
                output.Add(new TextSlice(text, start, at - start));
                start = at;
            }

            output.Add(new TextSlice(text, start, text.Length - start));
        }
    }
}
