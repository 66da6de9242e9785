using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (byte-level BPE with added/special tokens). Encoding runs through
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (byte-level mode, the file's split regex, added tokens split out
/// first); decoding follows tokenizers' ByteLevel decoder byte for byte, then one lossy UTF-8 decode, as HF does.
/// Thread-safe after loading.
/// </summary>
public sealed class TextTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly string[] _idToToken;
    private readonly bool[] _special;
    private readonly Dictionary<string, int> _tokenToId;
    private readonly int[] _prefix;
    private readonly int[] _suffix;

    private TextTokenizer(BpeTokenizer bpe, string[] idToToken, bool[] special, Dictionary<string, int> tokenToId, int[] prefix, int[] suffix, string? bos, string? eos)
    {
        _bpe = bpe;
        _idToToken = idToToken;
        _special = special;
        _tokenToId = tokenToId;
        _prefix = prefix;
        _suffix = suffix;
        BosToken = bos;
        EosToken = eos;
        BosTokenId = bos is not null && tokenToId.TryGetValue(bos, out var b) ? b : null;
        EosTokenIds = eos is not null && tokenToId.TryGetValue(eos, out var e) ? [e] : [];
    }

    public int VocabSize => _idToToken.Length;

    public string? BosToken { get; }

    public int? BosTokenId { get; }

    public string? EosToken { get; }

    /// <summary>EOS ids from tokenizer_config.json (generation_config.json may add more; the model folder merges them).</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>Loads tokenizer.json and, when present beside it, tokenizer_config.json.</summary>
    public static TextTokenizer Load(string tokenizerJsonPath)
    {
        if (!File.Exists(tokenizerJsonPath))
        {
            throw new FileNotFoundException($"{tokenizerJsonPath}: missing; a model folder needs the Hugging Face tokenizer.json.", tokenizerJsonPath);
        }

        var json = TokenizerJson.Parse(tokenizerJsonPath);
        var specials = json.AddedTokens.ToDictionary(a => a.Content, a => a.Id, StringComparer.Ordinal);
        var pattern = json.SplitPattern is null ? null : new Regex(json.SplitPattern, RegexOptions.Compiled);
        var bpe = BpeTokenizer.Create(new BpeOptions(json.Vocab)
        {
            Merges = json.Merges,
            ByteLevel = true,
            SpecialTokens = specials,
            PreTokenizer = pattern is null ? null : new RegexPreTokenizer(pattern, specials),
        });

        var size = Math.Max(json.Vocab.Count == 0 ? 0 : json.Vocab.Values.Max() + 1, json.AddedTokens.Count == 0 ? 0 : json.AddedTokens.Max(a => a.Id) + 1);
        var idToToken = new string[size];
        var special = new bool[size];
        var tokenToId = new Dictionary<string, int>(json.Vocab, StringComparer.Ordinal);
        foreach (var (token, id) in json.Vocab)
        {
            idToToken[id] = token;
        }

        foreach (var (id, content, isSpecial) in json.AddedTokens)
        {
            idToToken[id] = content;
            special[id] = isSpecial;
            tokenToId[content] = id;
        }

        var (bos, eos) = ReadConfig(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!, "tokenizer_config.json"));
        int Id(string t) => tokenToId.TryGetValue(t, out var i) ? i : throw new InvalidDataException($"{tokenizerJsonPath}: post-processor token '{t}' is not in the vocabulary.");
        return new TextTokenizer(bpe, idToToken, special, tokenToId, json.PrefixTokens.Select(Id).ToArray(), json.SuffixTokens.Select(Id).ToArray(), bos, eos);
    }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true);
        if (!addSpecialTokens || (_prefix.Length == 0 && _suffix.Length == 0))
        {
            return ids;
        }

        var result = new List<int>(ids.Count + _prefix.Length + _suffix.Length);
        result.AddRange(_prefix);
        result.AddRange(ids);
        result.AddRange(_suffix);
        return result;
    }

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Count * 4);
        foreach (var id in ids)
        {
            AppendTokenBytes(id, skipSpecialTokens, bytes);
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out var id) ? id : null;

    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>The bytes one token contributes to decoded text (nothing for a skipped special token).</summary>
    internal void AppendTokenBytes(int id, bool skipSpecialTokens, List<byte> output)
    {
        if ((uint)id >= (uint)_idToToken.Length || _idToToken[id] is null)
        {
            throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is not in the vocabulary (size {_idToToken.Length}).");
        }

        if (skipSpecialTokens && _special[id])
        {
            return;
        }

        ByteLevelAlphabet.AppendBytes(_idToToken[id], output);
    }

    private static (string? Bos, string? Eos) ReadConfig(string path)
    {
        if (!File.Exists(path))
        {
            return (null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            static string? Token(JsonElement root, string name) =>
                !root.TryGetProperty(name, out var v) ? null
                : v.ValueKind == JsonValueKind.String ? v.GetString()
                : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString()
                : null;
            return (Token(doc.RootElement, "bos_token"), Token(doc.RootElement, "eos_token"));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }
}
