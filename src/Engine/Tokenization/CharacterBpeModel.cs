using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// The <c>model</c> of a BPE tokenizer.json without the ByteLevel pre-tokenizer: SentencePiece-style BPE (Llama 2,
/// Mistral, Phi-3, Yi ...), where words are split into Unicode characters, not bytes. A port of HF's
/// <c>BPE::merge_word</c> (tokenizers/src/models/bpe/model.rs): each character is its vocabulary token, else (with
/// <c>byte_fallback</c>) its UTF-8 bytes as <c>&lt;0xXX&gt;</c> tokens when all of them exist, else
/// <c>unk_token</c> (consecutive unknowns fused into one with <c>fuse_unk</c>), else nothing; then
/// <c>Word::merge_all</c> (tokenizers/src/models/bpe/word.rs): repeatedly apply the lowest-ranked merge, leftmost
/// first, through a priority queue. Microsoft.ML.Tokenizers' BpeTokenizer has no byte fallback, hence our own loop.
/// </summary>
internal sealed class CharacterBpeModel : IBpeModel
{
    /// <summary>HF caches words shorter than this many UTF-8 bytes (utils/cache.rs MAX_LENGTH); we count chars.</summary>
    private const int MaxCachedWordLength = 256;

    private const int CacheCapacity = 10_000;

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabLookup;
    private readonly Dictionary<long, Merge> _merges;
    private readonly int[]? _byteTokenIds;
    private readonly string? _unkToken;
    private readonly bool _fuseUnk;
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    [ThreadStatic]
    private static MergeScratch? t_scratch;

    private CharacterBpeModel(
        Dictionary<string, int> vocab, Dictionary<long, Merge> merges, bool byteFallback, string? unkToken, bool fuseUnk, bool ignoreMerges)
    {
        Vocab = vocab;
        _vocabLookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _unkToken = unkToken;
        _fuseUnk = fuseUnk;
        _ignoreMerges = ignoreMerges;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (byteFallback)
        {
            // HF looks up format!("<{b:#04X}>"), e.g. "<0x0A>": lowercase x, two uppercase hex digits.
            _byteTokenIds = new int[256];
            for (int b = 0; b < 256; b++)
            {
                _byteTokenIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
            }
        }
    }

    /// <summary>Token string to id.</summary>
    public Dictionary<string, int> Vocab { get; }

    public static CharacterBpeModel FromJson(JsonElement model, string path)
    {
        foreach (string unsupported in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (TokenizerJson.OptionalNode(model, unsupported).ValueKind is not JsonValueKind.Null)
            {
                throw new NotSupportedException($"{path}: BPE option model.{unsupported} is not supported.");
            }
        }

        // HF treats dropout 0 as no dropout; any other value makes encoding random.
        if (TokenizerJson.OptionalNode(model, "dropout") is { ValueKind: JsonValueKind.Number } dropout && dropout.GetDouble() != 0)
        {
            throw new NotSupportedException($"{path}: BPE option model.dropout (random merges) is not supported.");
        }

        Dictionary<string, int> vocab = BpeMergeList.ReadVocab(model, path);
        var merges = new Dictionary<long, Merge>();
        int rank = 0;
        foreach ((string left, string right) in BpeMergeList.Read(model, path, vocab))
        {
            merges[PairKey(vocab[left], vocab[right])] = new Merge(rank++, vocab[left + right]); // a later duplicate wins, as in HF
        }

        string? unk = TokenizerJson.OptionalNode(model, "unk_token") is { ValueKind: JsonValueKind.String } u ? u.GetString() : null;
        return new CharacterBpeModel(
            vocab,
            merges,
            TokenizerJson.OptionalBool(model, "byte_fallback", false),
            unk,
            TokenizerJson.OptionalBool(model, "fuse_unk", false),
            TokenizerJson.OptionalBool(model, "ignore_merges", false));
    }

    /// <summary>Encodes one pre-tokenized word, appending its ids.</summary>
    public void EncodeWord(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty)
        {
            return;
        }

        if (_ignoreMerges && _vocabLookup.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            return;
        }

        bool cacheable = word.Length < MaxCachedWordLength;
        if (cacheable && _cacheLookup.TryGetValue(word, out int[]? cached))
        {
            ids.AddRange(cached);
            return;
        }

        MergeScratch scratch = t_scratch ??= new MergeScratch();
        int start = ids.Count;
        MergeWord(word, scratch, ids);
        if (cacheable && _cache.Count < CacheCapacity)
        {
            _cache.TryAdd(word.ToString(), ids.GetRange(start, ids.Count - start).ToArray());
        }
    }

    private void MergeWord(ReadOnlySpan<char> word, MergeScratch scratch, List<int> ids)
    {
        List<int> symbols = scratch.Symbols;
        symbols.Clear();
        int unkId = -1;
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < word.Length;)
        {
            int length = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            // A lone surrogate cannot occur in a Rust string; read it as U+FFFD, which is what its UTF-8 would be.
            ReadOnlySpan<char> character = char.IsSurrogate(word[i]) && length == 1 ? "\uFFFD" : word.Slice(i, length);
            i += length;
            if (_vocabLookup.TryGetValue(character, out int id))
            {
                if (unkId >= 0)
                {
                    symbols.Add(unkId);
                    unkId = -1;
                }

                symbols.Add(id);
                continue;
            }

            if (_byteTokenIds is not null && TryAddBytes(character, utf8, symbols))
            {
                continue; // HF leaves a pending unknown pending across fallback bytes
            }

            if (_unkToken is not null)
            {
                if (unkId >= 0 && !_fuseUnk)
                {
                    symbols.Add(unkId);
                }

                unkId = _vocabLookup.TryGetValue(_unkToken, out int unk)
                    ? unk
                    : throw new InvalidOperationException($"BPE unk_token '{_unkToken}' is not in the vocabulary (HF: UnkTokenOutOfVocabulary).");
            }

            // Without unk_token an unknown character is dropped, as in HF.
        }

        if (unkId >= 0)
        {
            symbols.Add(unkId);
        }

        MergeAll(scratch);
        ids.AddRange(symbols);
    }

    private bool TryAddBytes(ReadOnlySpan<char> character, Span<byte> utf8, List<int> symbols)
    {
        int count = Encoding.UTF8.GetBytes(character, utf8);
        for (int b = 0; b < count; b++)
        {
            if (_byteTokenIds![utf8[b]] < 0)
            {
                return false;
            }
        }

        for (int b = 0; b < count; b++)
        {
            symbols.Add(_byteTokenIds![utf8[b]]);
        }

        return true;
    }

    /// <summary>HF's Word::merge_all: a doubly linked list of symbols and a min-queue of (rank, position).</summary>
    private void MergeAll(MergeScratch scratch)
    {
        List<int> symbols = scratch.Symbols;
        int count = symbols.Count;
        if (count < 2)
        {
            return;
        }

        int[] prev = scratch.Prev(count);
        int[] next = scratch.Next(count);
        bool[] removed = scratch.Removed(count);
        var queue = scratch.Queue;
        queue.Clear();
        for (int i = 0; i < count; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
            removed[i] = false;
            if (i + 1 < count && _merges.TryGetValue(PairKey(symbols[i], symbols[i + 1]), out Merge merge))
            {
                queue.Enqueue((i, merge.NewId), Priority(merge.Rank, i));
            }
        }

        while (queue.TryDequeue(out (int Position, int NewId) top, out _))
        {
            int position = top.Position;
            int right = next[position];
            if (removed[position] || right < 0)
            {
                continue;
            }

            // An entry is stale when the pair at its position has changed since it was queued.
            if (!_merges.TryGetValue(PairKey(symbols[position], symbols[right]), out Merge current) || current.NewId != top.NewId)
            {
                continue;
            }

            symbols[position] = top.NewId;
            removed[right] = true;
            next[position] = next[right];
            if (next[right] >= 0)
            {
                prev[next[right]] = position;
            }

            if (prev[position] >= 0 && _merges.TryGetValue(PairKey(symbols[prev[position]], symbols[position]), out Merge before))
            {
                queue.Enqueue((prev[position], before.NewId), Priority(before.Rank, prev[position]));
            }

            if (next[position] >= 0 && _merges.TryGetValue(PairKey(symbols[position], symbols[next[position]]), out Merge after))
            {
                queue.Enqueue((position, after.NewId), Priority(after.Rank, position));
            }
        }

        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (!removed[i])
            {
                symbols[kept++] = symbols[i];
            }
        }

        symbols.RemoveRange(kept, count - kept);
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private static long Priority(int rank, int position) => ((long)rank << 32) | (uint)position;

    private readonly record struct Merge(int Rank, int NewId);

    /// <summary>Buffers reused by one thread across words.</summary>
    private sealed class MergeScratch
    {
        private int[] _prev = new int[64];
        private int[] _next = new int[64];
        private bool[] _removed = new bool[64];

        public List<int> Symbols { get; } = new(64);

        public PriorityQueue<(int Position, int NewId), long> Queue { get; } = new();

        public int[] Prev(int count) => _prev.Length >= count ? _prev : _prev = new int[Math.Max(count, _prev.Length * 2)];

        public int[] Next(int count) => _next.Length >= count ? _next : _next = new int[Math.Max(count, _next.Length * 2)];

        public bool[] Removed(int count) => _removed.Length >= count ? _removed : _removed = new bool[Math.Max(count, _removed.Length * 2)];
    }
}
