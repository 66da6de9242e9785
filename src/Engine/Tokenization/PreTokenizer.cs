using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>A piece of text a pre-tokenizer produced: a range of <see cref="Source"/>.</summary>
internal readonly record struct TextSlice(string Source, int Start, int Length)
{
    public ReadOnlySpan<char> Span => Source.AsSpan(Start, Length);
}

/// <summary>
/// The <c>pre_tokenizer</c> of a tokenizer.json: splits text into words that BPE encodes one by one.
/// Supported: ByteLevel (GPT-2), Split (regex or string, every SplitDelimiterBehavior, invert) and Sequence of
/// those, as GPT-2, Llama 3 and Qwen2 use. Semantics follow HF tokenizers/src/pre_tokenizers and
/// tokenizers/src/tokenizer/normalizer.rs (<c>NormalizedString::split</c>); empty pieces are dropped as
/// <c>PreTokenizedString::split</c> drops them. The byte-to-character mapping of ByteLevel is left to
/// <see cref="ByteLevelBpeModel"/>, which is why ByteLevel must be the last step.
/// </summary>
internal abstract class PreTokenizer
{
    /// <summary>Splits every slice of <paramref name="input"/> into <paramref name="output"/>.</summary>
    public abstract void Split(List<TextSlice> input, List<TextSlice> output);

    public static PreTokenizer FromJson(JsonElement node, string path)
    {
        var steps = new List<PreTokenizer>();
        Flatten(node, path, steps);
        int byteLevel = steps.FindIndex(step => step is ByteLevel);
        if (byteLevel < 0)
        {
            throw new NotSupportedException(
                $"{path}: pre_tokenizer has no ByteLevel step. InferMesh reads byte-level BPE tokenizers " +
                "(GPT-2, Llama 3, Qwen2 style); SentencePiece-style Metaspace tokenizers are not supported yet.");
        }

        if (byteLevel != steps.Count - 1)
        {
            throw new NotSupportedException($"{path}: pre_tokenizer steps after ByteLevel are not supported.");
        }

        return steps.Count == 1 ? steps[0] : new Sequence(steps);
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
            case "Sequence":
                foreach (JsonElement child in TokenizerJson.RequiredArray(node, "pretokenizers", path, "pre_tokenizer Sequence"))
                {
                    Flatten(child, path, steps);
                }

                break;
            default:
                throw new NotSupportedException(
                    $"{path}: pre_tokenizer type '{type}' is not supported (supported: ByteLevel, Split, Sequence).");
        }
    }

    private sealed class Sequence(List<PreTokenizer> steps) : PreTokenizer
    {
        public override void Split(List<TextSlice> input, List<TextSlice> output)
        {
            var current = input;
            for (int i = 0; i < steps.Count; i++)
            {
                var next = i == steps.Count - 1 ? output : new List<TextSlice>(current.Count * 2);
                steps[i].Split(current, next);
                current = next;
            }
        }
    }

    /// <summary>HF ByteLevel: optional leading space, then GPT-2's regex with the Isolated behavior.</summary>
    private sealed class ByteLevel(bool addPrefixSpace, bool useRegex) : PreTokenizer
    {
        private static readonly PreTokenizerRegex Gpt2 = PreTokenizerRegex.Compile(PreTokenizerRegex.Gpt2Pattern, "(built in)", "GPT-2");

        public override void Split(List<TextSlice> input, List<TextSlice> output)
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
}
