using System.Buffers;
using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (BPE with added/special tokens: byte-level as GPT-2, Llama 3 and Qwen2, or
/// SentencePiece style with byte fallback as Llama 2, Mistral and Phi-3), encoding and decoding exactly as HF
/// tokenizers' <c>Tokenizer.encode</c>/<c>decode</c> do. The pipeline is HF's (tokenizers/src/tokenizer/mod.rs,
/// encode_single_sequence): split out added tokens, normalize the rest, split out normalized added tokens,
/// pre-tokenize, BPE each word (<see cref="ByteLevelBpeModel"/> or <see cref="CharacterBpeModel"/>), then the
/// post-processor's special tokens when asked for. Decoding is per-token bytes for the ByteLevel decoder, else
/// the decoder's steps (<see cref="DecoderPipeline"/>).
/// </summary>
public sealed class TextTokenizer
{
    private readonly TextNormalizer? _normalizer;
    private readonly PreTokenizer _preTokenizer;
    private readonly IBpeModel _model;
    private readonly DecoderPipeline? _decoder;
    private readonly string?[] _tokenText;
    private readonly AddedTokenSplitter _addedTokens;
    private readonly AddedTokenSplitter _normalizedAddedTokens;
    private readonly Dictionary<string, int> _addedTokenIds;
    private readonly SpecialTokenWrapper _wrapper;
    private readonly byte[]?[] _tokenBytes;
    private readonly bool[] _special;
    private readonly int[] _eosTokenIds;

    private TextTokenizer(
        string path,
        TextNormalizer? normalizer,
        PreTokenizer preTokenizer,
        IBpeModel model,
        DecoderPipeline? decoder,
        IReadOnlyList<AddedToken> addedTokens,
        SpecialTokenWrapper wrapper,
        (string? Bos, string? Eos) configTokens)
    {
        SourcePath = path;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _model = model;
        _decoder = decoder;
        _wrapper = wrapper;
        _addedTokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (AddedToken token in addedTokens)
        {
            _addedTokenIds[token.Content] = token.Id;
        }

        // HF matches normalized added tokens by their normalized form, the others by their content.
        string Pattern(AddedToken token) => token.Normalized && normalizer is not null ? normalizer.Normalize(token.Content) : token.Content;
        _addedTokens = new AddedTokenSplitter(addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalizedAddedTokens = new AddedTokenSplitter(addedTokens.Where(t => t.Normalized).Select(t => (Pattern(t), t)));

        int size = Math.Max(model.Vocab.Count == 0 ? 0 : model.Vocab.Values.Max() + 1, addedTokens.Count == 0 ? 0 : addedTokens.Max(t => t.Id) + 1);

        // HF decode takes each id's text from the added tokens (their normalized form when normalized), else from
        // the model vocabulary, and skip_special_tokens tests that text against the set of special contents.
        var tokenText = new string?[size];
        foreach ((string token, int id) in model.Vocab)
        {
            tokenText[id] = token;
        }

        foreach (AddedToken token in addedTokens)
        {
            tokenText[token.Id] = Pattern(token);
        }

        var specialContents = addedTokens.Where(t => t.Special).Select(t => t.Content).ToHashSet(StringComparer.Ordinal);
        _tokenText = tokenText;
        _tokenBytes = new byte[]?[size];
        _special = new bool[size];
        for (int id = 0; id < size; id++)
        {
            if (tokenText[id] is { } text)
            {
                // With a decoder pipeline the bytes serve only to size streaming buffers.
                _tokenBytes[id] = decoder is null ? DecoderBytes(text) : Encoding.UTF8.GetBytes(text);
                _special[id] = specialContents.Contains(text);
            }
        }

        MaxTokenBytes = _tokenBytes.Max(b => b?.Length ?? 0);
        BosToken = configTokens.Bos;
        EosToken = configTokens.Eos;
        BosTokenId = BosToken is null ? null : TokenToId(BosToken);
        _eosTokenIds = EosToken is not null && TokenToId(EosToken) is int eos ? [eos] : [];
    }

    /// <summary>The tokenizer.json this was loaded from.</summary>
    public string SourcePath { get; }

    /// <summary>One past the largest token id (model vocabulary and added tokens).</summary>
    public int VocabSize => _tokenBytes.Length;

    public string? BosToken { get; }

    public int? BosTokenId { get; }

    public string? EosToken { get; }

    /// <summary>EOS ids from tokenizer_config.json (generation_config.json may add more; the model folder merges them).</summary>
    public IReadOnlyList<int> EosTokenIds => _eosTokenIds;

    /// <summary>The most UTF-8 bytes one token decodes to.</summary>
    public int MaxTokenBytes { get; }

    /// <summary>Loads tokenizer.json and, when present beside it, tokenizer_config.json.</summary>
    public static TextTokenizer Load(string tokenizerJsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        string path = Path.GetFullPath(tokenizerJsonPath);
        using JsonDocument document = TokenizerJson.Parse(path);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: expected a JSON object at the top level (a Hugging Face tokenizer.json).");
        }

        JsonElement modelNode = TokenizerJson.RequiredObject(root, "model", path, "tokenizer.json");
        string modelType = TokenizerJson.OptionalNode(modelNode, "type") is { ValueKind: JsonValueKind.String } t ? t.GetString()! : "BPE";
        if (modelType != "BPE")
        {
            throw new NotSupportedException(
                $"{path}: model type '{modelType}' is not supported; InferMesh reads BPE tokenizers (model.type \"BPE\"), " +
                "byte-level or SentencePiece style with byte_fallback.");
        }

        TextNormalizer? normalizer = TextNormalizer.FromJson(TokenizerJson.OptionalNode(root, "normalizer"), path);
        PreTokenizer preTokenizer = PreTokenizer.FromJson(TokenizerJson.OptionalNode(root, "pre_tokenizer"), path, out bool byteLevel);
        IBpeModel model = byteLevel ? ByteLevelBpeModel.FromJson(modelNode, path) : CharacterBpeModel.FromJson(modelNode, path);
        DecoderPipeline? decoder = DecoderPipeline.FromJson(TokenizerJson.OptionalNode(root, "decoder"), path);
        SpecialTokenWrapper wrapper = SpecialTokenWrapper.FromJson(TokenizerJson.OptionalNode(root, "post_processor"), path);
        List<AddedToken> addedTokens = ReadAddedTokens(root, path);
        string configPath = Path.Combine(Path.GetDirectoryName(path)!, "tokenizer_config.json");
        var configTokens = File.Exists(configPath) ? ReadConfigTokens(configPath) : (null, null);
        return new TextTokenizer(path, normalizer, preTokenizer, model, decoder, addedTokens, wrapper, configTokens);
    }

    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Add the post-processor's special tokens (e.g. BOS), as HF's add_special_tokens.</param>
    /// <param name="continuation">
    /// The text continues an earlier encoding (a chat turn after the stored history): its start gets no prefix from a
    /// Prepend normalizer or a Metaspace pre-tokenizer, which would put a "▁" there that encoding the whole text would not.
    /// No effect on byte-level tokenizers.
    /// </param>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false, bool continuation = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens)
        {
            ids.AddRange(_wrapper.Prefix);
        }

        var pieces = new List<(int Start, int End, AddedToken? Token)>();
        var scratch = new EncodeScratch();
        _addedTokens.Split(text, pieces);
        foreach ((int start, int end, AddedToken? token) in pieces)
        {
            if (token is not null)
            {
                ids.Add(token.Id);
                continue;
            }

            string part = text.Substring(start, end - start);
            bool continues = continuation && start == 0;
            var section = continues ? SectionStart.Continuation : start == 0 ? SectionStart.Text : SectionStart.AfterAddedToken;
            if (_normalizer is not null)
            {
                part = _normalizer.Normalize(part, continues);
            }

            if (_normalizedAddedTokens.IsEmpty)
            {
                EncodePlain(new TextSlice(part, 0, part.Length), section, ids, scratch);
                continue;
            }

            var inner = new List<(int Start, int End, AddedToken? Token)>();
            _normalizedAddedTokens.Split(part, inner);
            foreach ((int innerStart, int innerEnd, AddedToken? innerToken) in inner)
            {
                if (innerToken is not null)
                {
                    ids.Add(innerToken.Id);
                }
                else
                {
                    EncodePlain(new TextSlice(part, innerStart, innerEnd - innerStart), innerStart == 0 ? section : SectionStart.AfterAddedToken, ids, scratch);
                }
            }
        }

        if (addSpecialTokens)
        {
            ids.AddRange(_wrapper.Suffix);
        }

        return ids;
    }

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (_decoder is not null)
        {
            var tokens = new List<string>(ids.Count);
            for (int i = 0; i < ids.Count; i++)
            {
                if (GetTokenText(ids[i], skipSpecialTokens) is { } token)
                {
                    tokens.Add(token);
                }
            }

            return _decoder.Decode(tokens);
        }

        int total = 0;
        for (int i = 0; i < ids.Count; i++)
        {
            total += GetTokenBytes(ids[i], skipSpecialTokens).Length;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        try
        {
            int written = 0;
            for (int i = 0; i < ids.Count; i++)
            {
                ReadOnlySpan<byte> bytes = GetTokenBytes(ids[i], skipSpecialTokens);
                bytes.CopyTo(buffer.AsSpan(written));
                written += bytes.Length;
            }

            // Invalid UTF-8 becomes U+FFFD per maximal subpart, as Rust's String::from_utf8_lossy does.
            return Encoding.UTF8.GetString(buffer, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Added tokens first, then the model vocabulary (HF token_to_id). Model tokens are in byte-character form.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_addedTokenIds.TryGetValue(token, out int id) || _model.Vocab.TryGetValue(token, out id))
        {
            return id;
        }

        return null;
    }

    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <param name="skipSpecialTokens">Leave special tokens out of the text.</param>
    /// <param name="continuation">The tokens follow earlier text (see <see cref="StreamingDecoder"/>).</param>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false, bool continuation = false) => new(this, skipSpecialTokens, continuation);

    /// <summary>
    /// The text <paramref name="ids"/> add after earlier text: <see cref="Decode"/> without the start-of-text rules
    /// of SentencePiece-style decoders (a leading "▁" kept as a space). The same as Decode for byte-level tokenizers.
    /// </summary>
    public string DecodeContinuation(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (_decoder is null)
        {
            return Decode(ids, skipSpecialTokens);
        }

        var stream = CreateStreamingDecoder(skipSpecialTokens, continuation: true);
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            text.Append(stream.Push(id));
        }

        return text.Append(stream.Flush()).ToString();
    }

    /// <summary>The decoder pipeline, or null when tokens decode to their bytes (ByteLevel decoder).</summary>
    internal DecoderPipeline? DecoderPipeline => _decoder;

    /// <summary>The token string HF's decode passes to the decoder; null for unknown or skipped ids (HF drops both).</summary>
    internal string? GetTokenText(int id, bool skipSpecialTokens) =>
        (uint)id >= (uint)_tokenText.Length || (skipSpecialTokens && _special[id]) ? null : _tokenText[id];

    /// <summary>The UTF-8 bytes token <paramref name="id"/> adds to decoded text; empty for unknown or skipped ids (HF drops both).</summary>
    internal ReadOnlySpan<byte> GetTokenBytes(int id, bool skipSpecialTokens)
    {
        if ((uint)id >= (uint)_tokenBytes.Length || (skipSpecialTokens && _special[id]))
        {
            return default;
        }

        return _tokenBytes[id];
    }

    /// <param name="section">Where index 0 of the slice's source lies (see <see cref="SectionStart"/>).</param>
    private void EncodePlain(TextSlice slice, SectionStart section, List<int> ids, EncodeScratch scratch)
    {
        if (slice.Length == 0)
        {
            return;
        }

        scratch.Input.Clear();
        scratch.Words.Clear();
        scratch.Input.Add(slice);
        _preTokenizer.Split(scratch.Input, scratch.Words, section);
        foreach (TextSlice word in scratch.Words)
        {
            _model.EncodeWord(word.Span, ids);
        }
    }

    /// <summary>HF's ByteLevel decoder per token: byte characters back to bytes, or the raw UTF-8 of a token that has other characters.</summary>
    private static byte[] DecoderBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!ByteLevelAlphabet.TryGetByte(token[i], out bytes[i]))
            {
                return Encoding.UTF8.GetBytes(token);
            }
        }

        return bytes;
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string path)
    {
        var tokens = new List<AddedToken>();
        JsonElement node = TokenizerJson.OptionalNode(root, "added_tokens");
        if (node.ValueKind == JsonValueKind.Null)
        {
            return tokens;
        }

        if (node.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: \"added_tokens\" must be an array.");
        }

        foreach (JsonElement entry in node.EnumerateArray())
        {
            bool special = TokenizerJson.OptionalBool(entry, "special", false);
            tokens.Add(new AddedToken(
                TokenizerJson.RequiredInt(entry, "id", path, "added_tokens entry"),
                TokenizerJson.RequiredString(entry, "content", path, "added_tokens entry"),
                TokenizerJson.OptionalBool(entry, "single_word", false),
                TokenizerJson.OptionalBool(entry, "lstrip", false),
                TokenizerJson.OptionalBool(entry, "rstrip", false),
                TokenizerJson.OptionalBool(entry, "normalized", !special),
                special));
        }

        return tokens;
    }

    /// <summary>bos_token / eos_token of tokenizer_config.json: a string, an AddedToken object {"content": ...}, or null.</summary>
    private static (string? Bos, string? Eos) ReadConfigTokens(string configPath)
    {
        using JsonDocument config = TokenizerJson.Parse(configPath);
        static string? TokenText(JsonElement node) => node.ValueKind switch
        {
            JsonValueKind.String => node.GetString(),
            JsonValueKind.Object when node.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            _ => null,
        };
        JsonElement root = config.RootElement;
        return (TokenText(TokenizerJson.OptionalNode(root, "bos_token")), TokenText(TokenizerJson.OptionalNode(root, "eos_token")));
    }

    /// <summary>Lists reused across the pieces of one Encode call.</summary>
    private sealed class EncodeScratch
    {
        public List<TextSlice> Input { get; } = new(1);

        public List<TextSlice> Words { get; } = new(64);
    }
}
