using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// Reads <c>model.merges</c> of a BPE tokenizer.json in either form, as HF tokenizers does
/// (tokenizers/src/models/bpe/serialization.rs and <c>convert_merges_to_hashmap</c> in model.rs): "a b" strings that
/// split on ' ' into exactly two parts (lines starting with "#version" are skipped), or [a, b] pairs (tokenizers
/// 0.20+, which can hold parts with spaces). The rank of a merge is its index in the list; a later duplicate wins.
/// </summary>
internal static class BpeMergeList
{
    /// <summary>The merges in order, each checked against the vocabulary (parts and their concatenation).</summary>
    public static List<(string Left, string Right)> Read(JsonElement model, string path, Dictionary<string, int> vocab)
    {
        var merges = new List<(string Left, string Right)>();
        int index = 0;
        foreach (JsonElement merge in TokenizerJson.RequiredArray(model, "merges", path, "model"))
        {
            string left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                string text = merge.GetString()!;
                if (text.StartsWith("#version", StringComparison.Ordinal))
                {
                    index++;
                    continue;
                }

                string[] parts = text.Split(' ');
                if (parts.Length != 2)
                {
                    throw new InvalidDataException($"{path}: model.merges[{index}] \"{text}\" is not of the form \"left right\".");
                }

                (left, right) = (parts[0], parts[1]);
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2 &&
                     merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                (left, right) = (merge[0].GetString()!, merge[1].GetString()!);
            }
            else
            {
                throw new InvalidDataException($"{path}: model.merges[{index}] must be a \"left right\" string or a [left, right] pair.");
            }

            foreach (string part in new[] { left, right, left + right })
            {
                if (!vocab.ContainsKey(part))
                {
                    throw new InvalidDataException($"{path}: model.merges[{index}] uses '{part}', which is not in model.vocab.");
                }
            }

            merges.Add((left, right));
            index++;
        }

        return merges;
    }

    /// <summary>The vocabulary of model.vocab: token to non-negative id.</summary>
    public static Dictionary<string, int> ReadVocab(JsonElement model, string path)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in TokenizerJson.RequiredObject(model, "vocab", path, "model").EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new InvalidDataException($"{path}: model.vocab entry '{entry.Name}' must map to a non-negative integer id.");
            }

            vocab[entry.Name] = id;
        }

        return vocab;
    }
}
