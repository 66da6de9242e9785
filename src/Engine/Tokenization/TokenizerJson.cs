using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// The parts of a Hugging Face tokenizer.json a byte-level BPE needs (https://huggingface.co/docs/tokenizers):
/// vocab, merges (either "a b" strings or [a, b] pairs), added tokens, the pre-tokenizer's split regex, and the
/// post-processor's BOS/EOS template.
/// </summary>
internal sealed class TokenizerJson
{
    /// <summary>GPT-2's split pattern, used by the ByteLevel pre-tokenizer when use_regex is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public required Dictionary<string, int> Vocab { get; init; }

    public required List<string> Merges { get; init; }

    public required List<(int Id, string Content, bool Special)> AddedTokens { get; init; }

    /// <summary>Regex splitting text into pre-tokens before BPE (null = the whole text is one piece).</summary>
    public string? SplitPattern { get; init; }

    /// <summary>Token ids the post-processor puts before and after a single sequence (TemplateProcessing).</summary>
    public List<string> PrefixTokens { get; init; } = [];

    public List<string> SuffixTokens { get; init; } = [];

    public static TokenizerJson Parse(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: has no 'model' object; is this a Hugging Face tokenizer.json?");
            }

            var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
            if (type != "BPE")
            {
                throw new NotSupportedException($"{path}: tokenizer model type '{type}' is not supported; InferMesh reads byte-level BPE tokenizers (Llama 3, Qwen2, Mistral-Tekken, GPT-2 style).");
            }

            if (model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True)
            {
                throw new NotSupportedException($"{path}: SentencePiece-style BPE with byte_fallback (Llama 2 / Mistral v0.x tokenizers) is not supported yet; only byte-level BPE.");
            }

            var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
            var merges = new List<string>();
            if (model.TryGetProperty("merges", out var m))
            {
                foreach (var merge in m.EnumerateArray())
                {
                    merges.Add(merge.ValueKind == JsonValueKind.Array ? $"{merge[0].GetString()} {merge[1].GetString()}" : merge.GetString()!);
                }
            }

            var added = new List<(int, string, bool)>();
            if (root.TryGetProperty("added_tokens", out var at) && at.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in at.EnumerateArray())
                {
                    added.Add((a.GetProperty("id").GetInt32(), a.GetProperty("content").GetString()!, a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True));
                }
            }

            var (prefix, suffix) = root.TryGetProperty("post_processor", out var post) ? Template(post) : ([], []);
            return new TokenizerJson
            {
                Vocab = vocab,
                Merges = merges,
                AddedTokens = added,
                SplitPattern = root.TryGetProperty("pre_tokenizer", out var pre) ? Pattern(path, pre) : null,
                PrefixTokens = prefix,
                SuffixTokens = suffix,
            };
        }
    }

    private static string? Pattern(string path, JsonElement pre)
    {
        if (pre.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var type = pre.GetProperty("type").GetString();
        switch (type)
        {
            case "ByteLevel":
                return !pre.TryGetProperty("use_regex", out var r) || r.ValueKind != JsonValueKind.False ? Gpt2Pattern : null;
            case "Split":
                var pattern = pre.GetProperty("pattern");
                return pattern.TryGetProperty("Regex", out var regex) ? regex.GetString()
                    : System.Text.RegularExpressions.Regex.Escape(pattern.GetProperty("String").GetString()!);
            case "Sequence":
                string? found = null;
                foreach (var p in pre.GetProperty("pretokenizers").EnumerateArray())
                {
                    found ??= Pattern(path, p);
                }

                return found;
            default:
                throw new NotSupportedException($"{path}: pre-tokenizer '{type}' is not supported (supported: ByteLevel, Split, Sequence of them).");
        }
    }

    private static (List<string>, List<string>) Template(JsonElement post)
    {
        if (post.ValueKind != JsonValueKind.Object)
        {
            return ([], []);
        }

        var type = post.GetProperty("type").GetString();
        if (type == "Sequence")
        {
            foreach (var p in post.GetProperty("processors").EnumerateArray())
            {
                var (pre, suf) = Template(p);
                if (pre.Count + suf.Count > 0)
                {
                    return (pre, suf);
                }
            }

            return ([], []);
        }

        if (type != "TemplateProcessing" || !post.TryGetProperty("single", out var single))
        {
            return ([], []);
        }

        var prefix = new List<string>();
        var suffix = new List<string>();
        var seenSequence = false;
        foreach (var piece in single.EnumerateArray())
        {
            if (piece.TryGetProperty("Sequence", out _))
            {
                seenSequence = true;
            }
            else if (piece.TryGetProperty("SpecialToken", out var special))
            {
                (seenSequence ? suffix : prefix).Add(special.GetProperty("id").GetString()!);
            }
        }

        return (prefix, suffix);
    }
}
