using System.Text;
using System.Text.Json.Nodes;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// Reference BPE written straight from the algorithm's definition (Sennrich et al. 2016; GPT-2's encoder.py
/// <c>bpe</c>): map the word's UTF-8 bytes to GPT-2's byte characters, then repeatedly merge the adjacent pair with
/// the lowest merge rank (leftmost on ties) until no pair is a merge. Quadratic, and independent of the engine.
/// </summary>
internal sealed class NaiveByteLevelBpe
{
    private readonly Dictionary<string, int> _vocab = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), int> _ranks = new();
    private readonly char[] _byteToChar = BytesToUnicode();

    public NaiveByteLevelBpe(JsonObject tokenizer)
    {
        foreach ((string token, JsonNode? id) in tokenizer["model"]!["vocab"]!.AsObject())
        {
            _vocab[token] = id!.GetValue<int>();
        }

        int rank = 0;
        foreach (JsonNode? merge in tokenizer["model"]!["merges"]!.AsArray())
        {
            (string, string) pair = merge is JsonArray a
                ? (a[0]!.GetValue<string>(), a[1]!.GetValue<string>())
                : (merge!.GetValue<string>().Split(' ')[0], merge.GetValue<string>().Split(' ')[1]);
            _ranks[pair] = rank++;
        }
    }

    public List<int> EncodeWord(string word)
    {
        var symbols = Encoding.UTF8.GetBytes(word).Select(b => _byteToChar[b].ToString()).ToList();
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                {
                    best = i;
                    bestRank = rank;
                }
            }

            if (best < 0)
            {
                return symbols.Select(s => _vocab[s]).ToList();
            }

            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
    }

    /// <summary>GPT-2's bytes_to_unicode (openai/gpt-2 src/encoder.py), written out again here on purpose.</summary>
    private static char[] BytesToUnicode()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToHashSet();
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            map[b] = printable.Contains(b) ? (char)b : (char)(256 + n++);
        }

        return map;
    }
}
