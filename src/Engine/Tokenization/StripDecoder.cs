using System.Text;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// HF's Strip decoder (tokenizers/src/decoders/strip.rs): drops up to <c>start</c> leading and up to <c>stop</c>
/// trailing <c>content</c> characters of each token. Llama 2 files put Strip(" ", 1, 0) after Fuse, so it removes
/// the space the '▁' prefix became, once, at the very start of the decoded text.
/// </summary>
internal sealed class StripDecoder(string content, int start, int stop) : DecoderStep
{
    private string Content { get; } = content;

    private int Start { get; } = start;

    private int Stop { get; } = stop;

    public override List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(Apply);

    public override DecodeStage CreateStage(bool afterFuse, DecodeStage next) =>
        afterFuse ? new Streaming(this, next) : new DecodeStage.PerToken((token, _) => Apply(token), next);

    private string Apply(string token)
    {
        // Counted in characters (Rust chars); content is one character, one or two UTF-16 units.
        int from = 0;
        for (int i = 0; i < Start && token.AsSpan(from).StartsWith(Content, StringComparison.Ordinal); i++)
        {
            from += Content.Length;
        }

        int to = token.Length;
        for (int i = 0; i < Stop && to - Content.Length >= from && token.AsSpan(0, to).EndsWith(Content, StringComparison.Ordinal); i++)
        {
            to -= Content.Length;
        }

        return token[from..to];
    }

    /// <summary>
    /// Strip over the pieces of one fused token: the leading characters go as they arrive; trailing ones are held
    /// back (at most <c>stop</c>) until something else follows them, and dropped at the end.
    /// </summary>
    private sealed class Streaming(StripDecoder step, DecodeStage next) : DecodeStage(next)
    {
        private readonly StringBuilder _held = new();
        private int _leadingLeft = step.Start;

        public override void Push(string item)
        {
            ReadOnlySpan<char> text = item;
            while (_leadingLeft > 0 && !text.IsEmpty)
            {
                if (!text.StartsWith(step.Content, StringComparison.Ordinal))
                {
                    _leadingLeft = 0;
                    break;
                }

                text = text[step.Content.Length..];
                _leadingLeft--;
            }

            if (text.IsEmpty)
            {
                return;
            }

            _leadingLeft = 0;
            if (step.Stop == 0)
            {
                NextStage.Push(text.Length == item.Length ? item : text.ToString());
                return;
            }

            string combined = _held.Append(text).ToString();
            int to = combined.Length;
            for (int i = 0; i < step.Stop && to >= step.Content.Length && combined.AsSpan(0, to).EndsWith(step.Content, StringComparison.Ordinal); i++)
            {
                to -= step.Content.Length;
            }

            _held.Clear().Append(combined, to, combined.Length - to);
            if (to > 0)
            {
                NextStage.Push(combined[..to]);
            }
        }

        public override void Flush()
        {
            _held.Clear(); // trailing content characters at the very end are stripped
            base.Flush();
        }
    }
}
