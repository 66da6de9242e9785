using System.Text;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// One decoder step in streaming form. Stages form a chain ending in a <see cref="Collector"/>; before the first
/// fusing step (Fuse, ByteLevel) each item pushed is one token, after it each item is the next piece of the single
/// fused token. A stage may hold text back until it knows the outcome (a byte-fallback run, a possible match), so
/// that everything pushed plus <see cref="Flush"/> equals the step's HF <c>decode_chain</c> over all the tokens.
/// </summary>
internal abstract class DecodeStage(DecodeStage? next)
{
    protected DecodeStage NextStage => next!;

    public abstract void Push(string item);

    /// <summary>Releases what is held back; the stream then ends (a new one is built for the next text).</summary>
    public virtual void Flush() => next?.Flush();

    /// <summary>The end of the chain: appends every item, or (no decoder in the file) joins tokens with spaces as HF does.</summary>
    public sealed class Collector(StringBuilder output, bool joinWithSpaces) : DecodeStage(null)
    {
        private bool _first = true;

        public override void Push(string item)
        {
            if (joinWithSpaces && !_first)
            {
                output.Append(' ');
            }

            _first = false;
            output.Append(item);
        }

        public override void Flush()
        {
        }
    }

    /// <summary>A step that maps each token on its own (with its index among the tokens reaching the step).</summary>
    public sealed class PerToken(Func<string, int, string> map, DecodeStage next) : DecodeStage(next)
    {
        private int _index;

        public override void Push(string item) => NextStage.Push(map(item, _index++));
    }
}
