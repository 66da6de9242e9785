using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// The <c>model</c> of a byte-level BPE tokenizer.json. Merging is Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>,
/// a port of HF's merge loop (priority by merge rank, then leftmost). What it does not do the HF way we do here:
/// <list type="bullet">
/// <item>the UTF-8 to byte-character mapping (its ByteLevel option is fine, but we need the mapped word anyway for
/// <c>ignore_merges</c>, so we map once and give it the mapped text with ByteLevel off);</item>
/// <item><c>ignore_merges</c> (Llama 3): a word that is itself in the vocabulary is one token, merges or not;</item>
/// <item>merges in the newer <c>[a, b]</c> pair form (its options take "a b" strings only);</item>
/// <item>duplicate merges, where HF keeps the last one and ML.Tokenizers would throw.</item>
/// </list>
/// Pre-tokenization, normalization and added tokens never reach it (ConsiderPreTokenization/Normalization off).
/// </summary>
internal sealed class ByteLevelBpeModel : IBpeModel
{
    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabLookup;
    private readonly bool _ignoreMerges;

    private ByteLevelBpeModel(BpeTokenizer bpe, Dictionary<string, int> vocab, bool ignoreMerges)
    {
        _bpe = bpe;
        Vocab = vocab;
        _vocabLookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _ignoreMerges = ignoreMerges;
    }

    /// <summary>Token string (in byte-character form) to id.</summary>
    public Dictionary<string, int> Vocab { get; }

    public static ByteLevelBpeModel FromJson(JsonElement model, string path)
    {
        string type = TokenizerJson.OptionalNode(model, "type") is { ValueKind: JsonValueKind.String } t ? t.GetString()! : "BPE";
        if (type != "BPE")
        {
            throw new NotSupportedException(
                $"{path}: model type '{type}' is not supported; InferMesh reads byte-level BPE tokenizers (model.type \"BPE\").");
        }

        if (TokenizerJson.OptionalBool(model, "byte_fallback", false))
        {
            throw new NotSupportedException(
                $"{path}: BPE with byte_fallback together with the ByteLevel pre-tokenizer is not supported " +
                "(byte_fallback is read for SentencePiece-style files, whose pre_tokenizer is Metaspace or null).");
        }

        foreach (string unsupported in new[] { "continuing_subword_prefix", "end_of_word_suffix", "dropout" })
        {
            if (TokenizerJson.OptionalNode(model, unsupported).ValueKind is not JsonValueKind.Null)
            {
                throw new NotSupportedException($"{path}: BPE option model.{unsupported} is not supported.");
            }
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in TokenizerJson.RequiredObject(model, "vocab", path, "model").EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new InvalidDataException($"{path}: model.vocab entry '{entry.Name}' must map to a non-negative integer id.");
            }

            vocab[entry.Name] = id;
        }

        var merges = ReadMerges(model, path, vocab);
        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = false,
                UnknownToken = TokenizerJson.OptionalNode(model, "unk_token") is { ValueKind: JsonValueKind.String } unk ? unk.GetString() : null,
                FuseUnknownTokens = TokenizerJson.OptionalBool(model, "fuse_unk", false),
            });
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the BPE model is inconsistent: {ex.Message}", ex);
        }

        return new ByteLevelBpeModel(bpe, vocab, TokenizerJson.OptionalBool(model, "ignore_merges", false));
    }

    /// <summary>Encodes one pre-tokenized word (original text, not yet byte-mapped), appending its ids.</summary>
    public void EncodeWord(ReadOnlySpan<char> word, List<int> ids)
    {
        // Lone surrogates cannot occur in a Rust string; Encoding.UTF8 writes U+FFFD's bytes for them.
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        byte[]? rentedBytes = null;
        char[]? rentedChars = null;
        Span<byte> utf8 = maxBytes <= 512 ? stackalloc byte[512] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        Span<char> mapped = maxBytes <= 512 ? stackalloc char[512] : (rentedChars = ArrayPool<char>.Shared.Rent(maxBytes));
        try
        {
            int length = Encoding.UTF8.GetBytes(word, utf8);
            for (int i = 0; i < length; i++)
            {
                mapped[i] = ByteLevelAlphabet.ByteToChar[utf8[i]];
            }

            ReadOnlySpan<char> symbols = mapped[..length];
            if (_ignoreMerges && _vocabLookup.TryGetValue(symbols, out int whole))
            {
                ids.Add(whole);
                return;
            }

            ids.AddRange(_bpe.EncodeToIds(symbols, considerPreTokenization: false, considerNormalization: false));
        }
        finally
        {
            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
                ArrayPool<char>.Shared.Return(rentedChars!);
            }
        }
    }

    /// <summary>Reads model.merges in either form: "a b" strings (classic merges.txt) or [a, b] pairs (tokenizers 0.20+).</summary>
    private static List<string> ReadMerges(JsonElement model, string path, Dictionary<string, int> vocab)
    {
        var ordered = new List<string>();
        var rankOfPair = new Dictionary<string, int>(StringComparer.Ordinal);
        int index = 0;
        foreach (JsonElement merge in TokenizerJson.RequiredArray(model, "merges", path, "model"))
        {
            string left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                string text = merge.GetString()!;
                int space = text.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
                {
                    throw new InvalidDataException($"{path}: model.merges[{index}] \"{text}\" is not of the form \"left right\".");
                }

                left = text[..space];
                right = text[(space + 1)..];
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2 &&
                     merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                left = merge[0].GetString()!;
                right = merge[1].GetString()!;
                if (left.Contains(' ', StringComparison.Ordinal) || right.Contains(' ', StringComparison.Ordinal) ||
                    left.Length == 0 || right.Length == 0)
                {
                    throw new NotSupportedException(
                        $"{path}: model.merges[{index}] [\"{left}\", \"{right}\"] has an empty part or a part with a space, " +
                        "which byte-level BPE never produces and Microsoft.ML.Tokenizers cannot represent.");
                }
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

            string key = left + " " + right;
            if (rankOfPair.TryGetValue(key, out int earlier))
            {
                ordered[earlier] = null!; // HF builds its merge map in order, so the last duplicate wins
            }

            rankOfPair[key] = ordered.Count;
            ordered.Add(key);
            index++;
        }

        ordered.RemoveAll(m => m is null);
        return ordered;
    }
}
