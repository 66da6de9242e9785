using System.Text;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// Turns a stream of token ids into text deltas that never split a UTF-8 character: bytes of an incomplete trailing
/// character are held back until the token completing them arrives. Concatenating every <see cref="Push"/> and the
/// final <see cref="Flush"/> gives exactly <see cref="TextTokenizer.Decode"/> of all the ids.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly TextTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<byte> _pending = new(16);
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private readonly char[] _chars = new char[64];
    private byte[] _scratch = new byte[64];

    internal StreamingDecoder(TextTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one token; returns the text that became complete (possibly empty).</summary>
    public string Push(int tokenId)
    {
        _pending.Clear();
        _tokenizer.AppendTokenBytes(tokenId, _skipSpecialTokens, _pending);
        return Convert(flush: false);
    }

    /// <summary>Returns whatever is still held back (incomplete bytes become U+FFFD, as a full decode would).</summary>
    public string Flush()
    {
        _pending.Clear();
        return Convert(flush: true);
    }

    private string Convert(bool flush)
    {
        if (_scratch.Length < _pending.Count)
        {
            _scratch = new byte[_pending.Count * 2];
        }

        _pending.CopyTo(_scratch);
        var chars = _chars.Length >= _pending.Count + 4 ? _chars : new char[_pending.Count + 4];
        // The Decoder keeps an incomplete trailing sequence internally and replaces invalid bytes exactly like
        // Encoding.UTF8.GetString does over the whole stream.
        var n = _utf8.GetChars(_scratch, 0, _pending.Count, chars, 0, flush);
        return n == 0 ? "" : new string(chars, 0, n);
    }
}
