using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>A piece of text a pre-tokenizer produced: a range of <see cref="Source"/>.</summary>
internal readonly record struct TextSlice(string Source, int Start, int Length)
{
    public ReadOnlySpan<char> Span => Source.AsSpan(Start, Length);
}

/// <summary>
/// The <c>pre_tokenizer</c> of a tokenizer.json: splits text into words that BPE encodes one by one.
/// Supported: ByteLevel (GPT-2), Split (regex or string, every SplitDelimiterBehavior, invert), Metaspace
/// (SentencePiece style), Digits, Sequence of those, and none at all (JSON null: the whole text is one word, as in
/// Llama 2 files whose normalizer does the Prepend and Replace). Semantics follow HF tokenizers/src/pre_tokenizers
/// and tokenizers/src/tokenizer/normalizer.rs (<c>NormalizedString::split</c>); empty pieces are dropped as
/// <c>PreTokenizedString::split</c> drops them. The byte-to-character mapping of ByteLevel is left to
/// <see cref="ByteLevelBpeModel"/>, which is why ByteLevel must be the last step.
/// </summary>
internal abstract class PreTokenizer
{
    /// <summary>Splits every slice of <paramref name="input"/> into <paramref name="output"/>.</summary>
    /// <param name="section">
    /// Where index 0 of the slices' <see cref="TextSlice.Source"/> lies: the start of the text being encoded, after an
    /// added token, or the start of a continuation. Metaspace's prepend_scheme "first" prefixes only the first, "always"
    /// all but a continuation's start.
    /// </param>
    public abstract void Split(List<TextSlice> input, List<TextSlice> output, SectionStart section);

    /// <summary>Builds the pre-tokenizer; <paramref name="byteLevel"/> tells whether it ends in ByteLevel (byte-level BPE).</summary>
    public static PreTokenizer FromJson(JsonElement node, string path, out bool byteLevel)
    {
        var steps = new List<PreTokenizer>();
        Flatten(node, path, steps);
        int byteLevelAt = steps.FindIndex(step => step is ByteLevel);
        byteLevel = byteLevelAt >= 0;
        if (byteLevel && byteLevelAt != steps.Count - 1)
        {
            throw new NotSupportedException($"{path}: pre_tokenizer steps after ByteLevel are not supported.");
        }

        if (byteLevel && steps.Any(step => step is MetaspacePreTokenizer))
        {
            throw new NotSupportedException($"{path}: pre_tokenizer with both ByteLevel and Metaspace is not supported.");
        }

        return steps.Count switch
        {
            0 => new WholeText(),
            1 => steps[0],
            _ => new Sequence(steps),
        };
    }

    private static void Flatten(JsonElement node, string path, List<PreTokenizer> steps)
    {
        if (node.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        string type = TokenizerJson.RequiredString(node, "type", path, "pre_tokenizer");
        switch (type)
        {
            case "ByteLevel":
                steps.Add(new ByteLevel(
                    TokenizerJson.OptionalBool(node, "add_prefix_space", true),
                    TokenizerJson.OptionalBool(node, "use_regex", true)));
                break;
            case "Split":
                steps.Add(SplitStep.Parse(node, path));
                break;
            case "Metaspace":
                steps.Add(MetaspacePreTokenizer.Parse(node, path));
                break;
            case "Digits":
                steps.Add(SplitStep.Digits(TokenizerJson.OptionalBool(node, "individual_digits", false)));
                break;
            case "Sequence":
                foreach (JsonElement child in TokenizerJson.RequiredArray(node, "pretokenizers", path, "pre_tokenizer Sequence"))
                {
                    Flatten(child, path, steps);
                }

                break;
            default:
                throw new NotSupportedException(
                    $"{path}: pre_tokenizer type '{type}' is not supported (supported: ByteLevel, Split, Metaspace, Digits, Sequence).");
        }
    }

    private sealed class Sequence(List<PreTokenizer> steps) : PreTokenizer
    {
        public override void Split(List<TextSlice> input, List<TextSlice> output, SectionStart section)
        {
            var current = input;
            for (int i = 0; i < steps.Count; i++)
            {
                var next = i == steps.Count - 1 ? output : new List<TextSlice>(current.Count * 2);
                steps[i].Split(current, next, section);
                current = next;
            }
        }
    }

    /// <summary>HF ByteLevel: optional leading space, then GPT-2's regex with the Isolated behavior.</summary>
    private sealed class ByteLevel(bool addPrefixSpace, bool useRegex) : PreTokenizer
    {
        private static readonly PreTokenizerRegex Gpt2 = PreTokenizerRegex.Compile(PreTokenizerRegex.Gpt2Pattern, "(built in)", "GPT-2");

        public override void Split(List<TextSlice> input, List<TextSlice> output, SectionStart section)
        {
            foreach (TextSlice slice in input)
            {
                if (slice.Length == 0)
                {
                    continue;
                }

                TextSlice piece = slice;
                if (addPrefixSpace && piece.Span[0] != ' ')
                {
                    string prefixed = " " + piece.Span.ToString();
                    piece = new TextSlice(prefixed, 0, prefixed.Length);
                }

                if (useRegex)
                {
                    SplitStep.SplitOne(piece, Gpt2, null, SplitBehavior.Isolated, invert: false, output);
                }
                else
                {
                    output.Add(piece);
                }
            }
        }
    }

    /// <summary>No pre_tokenizer (JSON null): each piece of text is one word.</summary>
    private sealed class WholeText : PreTokenizer
    {
        public override void Split(List<TextSlice> input, List<TextSlice> output, SectionStart section)
        {
            foreach (TextSlice slice in input)
            {
                if (slice.Length > 0)
                {
                    output.Add(slice);
                }
            }
        }
    }
}
