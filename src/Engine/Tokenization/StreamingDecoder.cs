using System.Text;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// Turns a stream of token ids into text deltas that never split a UTF-8 character.
/// Byte-level BPE decodes by concatenating each token's bytes and reading them as UTF-8, so streaming is a stateful
/// UTF-8 decoder over those bytes: it holds back the bytes of an unfinished character (at most 3) and costs
/// O(token bytes) per token. Invalid bytes become U+FFFD exactly where a one-shot decode puts them, so the
/// concatenation of every <see cref="Push(int)"/> and a final <see cref="Flush()"/> equals
/// <see cref="TextTokenizer.Decode"/> of all the ids.
/// Other decoders (SentencePiece style: Replace, ByteFallback, Fuse, Strip, Metaspace) stream through
/// <see cref="DecoderPipeline.CreateStream"/> with the same guarantee: a run of byte-fallback tokens is held back until
/// it ends (HF decodes the run as a whole), and the leading-space Strip applies only at the very start.
/// A <em>continuation</em> decoder decodes tokens that follow earlier text (a completion after its prompt): it yields
/// what decoding the earlier tokens and these together adds after the earlier text (vLLM's incremental detokenizer
/// does the same with the prompt's tail), so a Llama 2-style "▁fox" after a prompt is " fox", not "fox".
/// </summary>
public sealed class StreamingDecoder
{
    private readonly TextTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly char[] _chars;
    private readonly StringBuilder _pending = new();
    /// <summary>
    /// Stands for the earlier text of a continuation: a plain token that no decoder step strips, replaces or holds
    /// back. Pushed first and its output dropped, it leaves each step in its "after the first token" state.
    /// </summary>
    private const string EarlierText = "a";

    private readonly bool _continuation;
    private DecodeStage? _stages;

    public StreamingDecoder(TextTokenizer tokenizer, bool skipSpecialTokens = false, bool continuation = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
        _continuation = continuation;
        _chars = new char[MaxCharsPerPush];
        _stages = NewStages();
    }

    /// <summary>The most chars one <see cref="Push(int, Span{char})"/> can write: a token's bytes plus 3 held back.</summary>
    public int MaxCharsPerPush => _tokenizer.MaxTokenBytes + 3;

    /// <summary>Adds one token; returns the text that became complete (possibly empty).</summary>
    public string Push(int tokenId)
    {
        if (_stages is not null)
        {
            PushToStages(tokenId);
            return TakePending();
        }

        int written = Push(tokenId, _chars);
        return written == 0 ? string.Empty : new string(_chars, 0, written);
    }

    /// <summary>
    /// Adds one token and writes the text that became complete into <paramref name="destination"/>, which must hold
    /// <see cref="MaxCharsPerPush"/> chars; returns the number written. Allocates nothing for ByteLevel decoders.
    /// With other decoders a push can release more (a held-back byte-fallback run): what does not fit is written by
    /// the next calls.
    /// </summary>
    public int Push(int tokenId, Span<char> destination)
    {
        if (_stages is not null)
        {
            PushToStages(tokenId);
            int count = Math.Min(_pending.Length, destination.Length);
            _pending.CopyTo(0, destination, count);
            _pending.Remove(0, count);
            return count;
        }

        ReadOnlySpan<byte> bytes = _tokenizer.GetTokenBytes(tokenId, _skipSpecialTokens);
        if (bytes.IsEmpty)
        {
            return 0;
        }

        if (destination.Length < bytes.Length + 3)
        {
            throw new ArgumentException(
                $"destination holds {destination.Length} chars; token {tokenId} needs up to {bytes.Length + 3} (see MaxCharsPerPush).",
                nameof(destination));
        }

        return _utf8.GetChars(bytes, destination, flush: false);
    }

    /// <summary>Returns whatever is still held back (replacing incomplete bytes with U+FFFD) and starts afresh.</summary>
    public string Flush()
    {
        if (_stages is not null)
        {
            _stages.Flush();
            string text = TakePending();
            _stages = NewStages();
            return text;
        }

        int written = _utf8.GetChars(ReadOnlySpan<byte>.Empty, _chars, flush: true);
        return written == 0 ? string.Empty : new string(_chars, 0, written);
    }

    /// <summary>Drops any held-back text without emitting it and starts afresh.</summary>
    public void Reset()
    {
        _utf8.Reset();
        _pending.Clear();
        _stages = NewStages();
    }

    private DecodeStage? NewStages()
    {
        var stages = _tokenizer.DecoderPipeline?.CreateStream(_pending);
        if (stages is not null && _continuation)
        {
            stages.Push(EarlierText);
            _pending.Clear();
        }

        return stages;
    }

    private void PushToStages(int tokenId)
    {
        if (_tokenizer.GetTokenText(tokenId, _skipSpecialTokens) is { } token)
        {
            _stages!.Push(token);
        }
    }

    private string TakePending()
    {
        string text = _pending.ToString();
        _pending.Clear();
        return text;
    }
}
