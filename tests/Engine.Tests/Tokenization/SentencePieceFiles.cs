using System.Text.Json.Nodes;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>
/// A tiny SentencePiece-style tokenizer.json built by hand, laid out like Llama 2's (HF tokenizers' serialization):
/// ids 0-2 "&lt;unk&gt;", "&lt;s&gt;", "&lt;/s&gt;"; 3-258 the byte tokens "&lt;0x00&gt;".."&lt;0xFF&gt;" (byte b is id 3 + b);
/// then the characters and merges below. Expected ids in the tests are derived by hand from this table.
/// </summary>
internal static class SentencePieceFiles
{
    public const int Unk = 0, Bos = 1, Eos = 2;
    public const int Space = 259, A = 260, B = 261, H = 263, E = 264, L = 265, O = 266;
    public const int SpaceH = 268, LL = 269, Ell = 270, SpaceHell = 271, SpaceHello = 272, AB = 273, SpaceA = 274, SpaceAB = 275;

    public static int ByteToken(byte value) => 3 + value;

    /// <summary>
    /// Merges by rank: 0 "▁ h", 1 "l l", 2 "e ll", 3 "▁h ell", 4 "▁hell o", 5 "a b", 6 "▁ a", 7 "▁a b". There is no
    /// "▁ ab", so "▁ab" encodes as "▁" + "ab" (rank 5 beats rank 6) although "▁ab" is in the vocabulary.
    /// </summary>
    public static JsonObject Llama2Style(bool pairMerges = false, bool byteTokens = true, bool fuseUnk = false, bool byteFallback = true)
    {
        var vocab = new JsonObject { ["<unk>"] = Unk, ["<s>"] = Bos, ["</s>"] = Eos };
        if (byteTokens)
        {
            for (int b = 0; b < 256; b++)
            {
                vocab[$"<0x{b:X2}>"] = ByteToken((byte)b);
            }
        }

        string[] pieces = ["▁", "a", "b", "c", "h", "e", "l", "o", "é", "▁h", "ll", "ell", "▁hell", "▁hello", "ab", "▁a", "▁ab"];
        for (int i = 0; i < pieces.Length; i++)
        {
            vocab[pieces[i]] = Space + i;
        }

        (string, string)[] merges = [("▁", "h"), ("l", "l"), ("e", "ll"), ("▁h", "ell"), ("▁hell", "o"), ("a", "b"), ("▁", "a"), ("▁a", "b")];
        var mergeArray = new JsonArray(merges.Select(m => pairMerges ? new JsonArray(m.Item1, m.Item2) : (JsonNode)JsonValue.Create($"{m.Item1} {m.Item2}")!).ToArray());
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                Added(Unk, "<unk>"), Added(Bos, "<s>"), Added(Eos, "</s>")),
            ["normalizer"] = JsonNode.Parse("""
                {"type": "Sequence", "normalizers": [
                  {"type": "Prepend", "prepend": "▁"},
                  {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
                """),
            ["pre_tokenizer"] = null,
            ["post_processor"] = JsonNode.Parse("""
                {"type": "TemplateProcessing",
                 "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                 "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
                """),
            ["decoder"] = Llama2Decoder(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = "<unk>",
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = fuseUnk,
                ["byte_fallback"] = byteFallback,
                ["vocab"] = vocab,
                ["merges"] = mergeArray,
            },
        };
    }

    /// <summary>Llama 2's decoder: Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0).</summary>
    public static JsonNode Llama2Decoder() => JsonNode.Parse("""
        {"type": "Sequence", "decoders": [
          {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
          {"type": "ByteFallback"},
          {"type": "Fuse"},
          {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
        """)!;

    /// <summary>The Mistral v0.3 / newer layout: no normalizer, Metaspace pre-tokenizer.</summary>
    public static JsonObject MetaspaceStyle(string prependScheme, bool split)
    {
        var json = Llama2Style();
        json["normalizer"] = null;
        json["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = prependScheme, ["split"] = split,
        };
        return json;
    }

    private static JsonObject Added(int id, string content) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
        ["normalized"] = false, ["special"] = true,
    };
}
