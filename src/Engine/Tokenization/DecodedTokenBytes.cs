using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// The bytes each token id adds to decoded text in the middle of an output (so a SentencePiece "▁word" is " word" and a
/// byte-fallback "&lt;0x0A&gt;" is the byte 0x0A); empty for special and unknown ids, which add no text. What a
/// constraint on the output text (such as <see cref="Sampling.JsonOutputConstraint"/>) checks each candidate token against.
/// Built once per tokenizer: one decode per id.
/// </summary>
public sealed class DecodedTokenBytes
{
    private readonly byte[][] _bytes;

    public DecodedTokenBytes(TextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _bytes = new byte[tokenizer.VocabSize][];
        var pipeline = tokenizer.DecoderPipeline;
        var pair = new List<string>(2);
        for (var id = 0; id < _bytes.Length; id++)
        {
            if (pipeline is null)
            {
                _bytes[id] = tokenizer.GetTokenBytes(id, skipSpecialTokens: true).ToArray();
                continue;
            }

            var text = tokenizer.GetTokenText(id, skipSpecialTokens: true);
            if (text is null)
            {
                _bytes[id] = [];
            }
            else if (FallbackByte(text) is byte single)
            {
                _bytes[id] = [single];
            }
            else
            {
                // Decoded after a plain first token, so steps that treat the start of the text specially (a stripped
                // leading space, a prepended ▁) leave this token as it appears mid-output.
                pair.Clear();
                pair.Add("a");
                pair.Add(text);
                var decoded = pipeline.Decode(pair);
                _bytes[id] = decoded.StartsWith('a') ? Encoding.UTF8.GetBytes(decoded[1..]) : Encoding.UTF8.GetBytes(decoded);
            }
        }
    }

    public int Count => _bytes.Length;

    public ReadOnlySpan<byte> this[int id] => _bytes[id];

    /// <summary>The byte of a SentencePiece byte-fallback token such as "&lt;0xE2&gt;", or null for any other token.</summary>
    private static byte? FallbackByte(string text) =>
        text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
        && byte.TryParse(text.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}
