using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// What tokenizer.json's <c>post_processor</c> adds around one sequence when special tokens are requested
/// (HF tokenizers/src/processors): TemplateProcessing's "single" template (Llama 3 puts &lt;|begin_of_text|&gt;
/// before $A), BertProcessing ([CLS] $A [SEP]), RobertaProcessing (&lt;s&gt; $A &lt;/s&gt;), ByteLevel (adds nothing)
/// and Sequence of those. For a single sequence each reduces to ids before and ids after the text.
/// </summary>
internal sealed class SpecialTokenWrapper
{
    public static readonly SpecialTokenWrapper None = new([], []);

    private SpecialTokenWrapper(int[] prefix, int[] suffix)
    {
        Prefix = prefix;
        Suffix = suffix;
    }

    public int[] Prefix { get; }

    public int[] Suffix { get; }

    public static SpecialTokenWrapper FromJson(JsonElement node, string path)
    {
        if (node.ValueKind == JsonValueKind.Null)
        {
            return None;
        }

        string type = TokenizerJson.RequiredString(node, "type", path, "post_processor");
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "TemplateProcessing":
                return FromTemplate(node, path);
            case "BertProcessing":
            case "RobertaProcessing":
                return new SpecialTokenWrapper([PairId(node, "cls", path, type)], [PairId(node, "sep", path, type)]);
            case "Sequence":
                var prefix = new List<int>();
                var suffix = new List<int>();
                foreach (JsonElement child in TokenizerJson.RequiredArray(node, "processors", path, "post_processor Sequence"))
                {
                    // Each processor wraps what the previous ones produced.
                    SpecialTokenWrapper inner = FromJson(child, path);
                    prefix.InsertRange(0, inner.Prefix);
                    suffix.AddRange(inner.Suffix);
                }

                return new SpecialTokenWrapper([.. prefix], [.. suffix]);
            default:
                throw new NotSupportedException(
                    $"{path}: post_processor type '{type}' is not supported " +
                    "(supported: TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence).");
        }
    }

    private static SpecialTokenWrapper FromTemplate(JsonElement node, string path)
    {
        JsonElement specials = TokenizerJson.OptionalNode(node, "special_tokens");
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        foreach (JsonElement piece in TokenizerJson.RequiredArray(node, "single", path, "post_processor TemplateProcessing"))
        {
            if (piece.TryGetProperty("Sequence", out _))
            {
                seenSequence = true;
                continue;
            }

            if (!piece.TryGetProperty("SpecialToken", out JsonElement special))
            {
                throw new InvalidDataException($"{path}: TemplateProcessing \"single\" holds a piece that is neither Sequence nor SpecialToken.");
            }

            string name = TokenizerJson.RequiredString(special, "id", path, "TemplateProcessing SpecialToken");
            if (specials.ValueKind != JsonValueKind.Object || !specials.TryGetProperty(name, out JsonElement entry))
            {
                throw new InvalidDataException($"{path}: TemplateProcessing uses special token '{name}', missing from its \"special_tokens\".");
            }

            var target = seenSequence ? suffix : prefix;
            foreach (JsonElement id in TokenizerJson.RequiredArray(entry, "ids", path, $"TemplateProcessing special token '{name}'"))
            {
                if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out int value))
                {
                    throw new InvalidDataException($"{path}: TemplateProcessing special token '{name}' has a non-integer id.");
                }

                target.Add(value);
            }
        }

        return new SpecialTokenWrapper([.. prefix], [.. suffix]);
    }

    private static int PairId(JsonElement node, string name, string path, string type)
    {
        if (node.TryGetProperty(name, out JsonElement pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 &&
            pair[1].ValueKind == JsonValueKind.Number && pair[1].TryGetInt32(out int id))
        {
            return id;
        }

        throw new InvalidDataException($"{path}: post_processor {type} needs \"{name}\": [token, id].");
    }
}
