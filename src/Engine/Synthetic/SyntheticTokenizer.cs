using System.Text.Json;

namespace InferMesh.Engine.Synthetic;

/// <summary>
/// Writes a valid byte-level BPE tokenizer.json with exactly the vocabulary size a model shape needs: the 256 byte
/// tokens (GPT-2's bytes_to_unicode alphabet), deterministic pseudo-random merges, and Llama-3-style special tokens
/// at the end. Loadable by Hugging Face tokenizers and by InferMesh; text round-trips, though merges carry no meaning.
/// </summary>
public static class SyntheticTokenizer
{
    public static readonly string[] SpecialTokens = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"];

    public static void Write(string directory, int vocabSize, long seed)
    {
        var alphabet = ByteAlphabet();
        var vocab = alphabet.Select(c => c.ToString()).ToList();
        var known = new HashSet<string>(vocab);
        var merges = new List<string[]>();
        var rng = new Random((int)(seed & 0x7FFFFFFF));
        var target = vocabSize - SpecialTokens.Length;
        var letters = alphabet.Where(char.IsAsciiLetterLower).Select(c => c.ToString()).ToArray();
        while (vocab.Count < target)
        {
            // Favour short pieces built from lowercase letters and the space marker 'Ġ', like real English merges.
            var left = rng.Next(4) == 0 ? "Ġ" : vocab.Count > 300 && rng.Next(2) == 0 ? vocab[256 + rng.Next(vocab.Count - 256)] : letters[rng.Next(letters.Length)];
            var right = letters[rng.Next(letters.Length)];
            var merged = left + right;
            if (merged.Length > 12 || !known.Add(merged))
            {
                continue;
            }

            vocab.Add(merged);
            merges.Add([left, right]);
        }

        var vocabJson = new Dictionary<string, int>();
        for (var i = 0; i < vocab.Count; i++)
        {
            vocabJson[vocab[i]] = i;
        }

        var added = SpecialTokens.Select((t, i) => new Dictionary<string, object>
        {
            ["id"] = target + i, ["content"] = t, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        }).ToArray();
        var tokenizer = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
            ["decoder"] = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new Dictionary<string, object?>
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocabJson, ["merges"] = merges,
            },
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), JsonSerializer.Serialize(tokenizer));
        var config = new Dictionary<string, object?>
        {
            ["bos_token"] = SpecialTokens[0],
            ["eos_token"] = SpecialTokens[2],
            ["pad_token"] = SpecialTokens[1],
            ["model_max_length"] = 131072,
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["chat_template"] = "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), JsonSerializer.Serialize(config));
    }

    /// <summary>GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to 256+n.</summary>
    public static char[] ByteAlphabet()
    {
        var map = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + n++);
        }

        return map;
    }
}
