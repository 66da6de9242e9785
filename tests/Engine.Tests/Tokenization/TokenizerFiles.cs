using System.Text.Json.Nodes;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// The golden tiny tokenizer (HF tokenizers, byte-level BPE trained on English text) and variants of it written to
/// temporary folders, edited as tokenizer.json documents (format: HF tokenizers' serialization of Tokenizer).
/// </summary>
internal static class TokenizerFiles
{
    public static string GoldenPath { get; } = Path.Combine(RepoPaths.Golden("tiny-llama"), "tokenizer.json");

    public static JsonObject LoadGoldenJson() => JsonNode.Parse(File.ReadAllText(GoldenPath))!.AsObject();

    /// <summary>Writes <paramref name="tokenizer"/> (and an optional tokenizer_config.json) to a new folder; returns the tokenizer.json path.</summary>
    public static string Write(JsonObject tokenizer, JsonObject? config = null) => WriteText(tokenizer.ToJsonString(), config);

    public static string WriteText(string tokenizerJson, JsonObject? config = null)
    {
        string folder = Path.Combine(Path.GetTempPath(), "infermesh-tokenizer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, tokenizerJson);
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
        }

        return path;
    }

    /// <summary>Adds an entry to added_tokens with HF's field set; the id is one past the vocabulary's last.</summary>
    public static int AddToken(
        JsonObject tokenizer, string content, bool special, bool lstrip = false, bool rstrip = false, bool singleWord = false, bool? normalized = null)
    {
        var added = tokenizer["added_tokens"]!.AsArray();
        int id = tokenizer["model"]!["vocab"]!.AsObject().Count + added.Count;
        added.Add(new JsonObject
        {
            ["id"] = id,
            ["content"] = content,
            ["single_word"] = singleWord,
            ["lstrip"] = lstrip,
            ["rstrip"] = rstrip,
            ["normalized"] = normalized ?? !special,
            ["special"] = special,
        });
        return id;
    }

    /// <summary>Llama 3's pre-tokenizer: Split on its regex (Isolated), then ByteLevel without its own regex.</summary>
    public static JsonObject Llama3PreTokenizer() => new()
    {
        ["type"] = "Sequence",
        ["pretokenizers"] = new JsonArray(
            new JsonObject
            {
                ["type"] = "Split",
                ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern },
                ["behavior"] = "Isolated",
                ["invert"] = false,
            },
            new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
    };

    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
}
