using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// HF's ByteFallback decoder (tokenizers/src/decoders/byte_fallback.rs): a run of consecutive <c>&lt;0xXX&gt;</c>
/// tokens becomes one token holding the run's bytes read as UTF-8 when they are valid UTF-8 as a whole, else one
/// U+FFFD per byte token of the run (not one per maximal invalid subpart, as a lossy UTF-8 read would give).
/// </summary>
internal sealed class ByteFallbackDecoder : DecoderStep
{
    public override bool StreamsAfterFuse => false;

    /// <summary>HF's test: six bytes "&lt;0x" + two characters u8::from_str_radix reads in base 16 + "&gt;".</summary>
    public static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        if (token.Length != 6 || !token.StartsWith("<0x", StringComparison.Ordinal) || token[5] != '>')
        {
            return false;
        }

        // from_str_radix accepts a leading '+', so "<0x+A>" is byte 0x0A.
        if (token[3] == '+')
        {
            if (!char.IsAsciiHexDigit(token[4]))
            {
                return false;
            }

            value = (byte)Convert.ToInt32(token[4].ToString(), 16);
            return true;
        }

        if (!char.IsAsciiHexDigit(token[3]) || !char.IsAsciiHexDigit(token[4]))
        {
            return false;
        }

        value = Convert.ToByte(token.Substring(3, 2), 16);
        return true;
    }

    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var run = new List<byte>();
        foreach (string token in tokens)
        {
            if (TryParseByteToken(token, out byte value))
            {
                run.Add(value);
                continue;
            }

            EndRun(run, result.Add);
            result.Add(token);
        }

        EndRun(run, result.Add);
        return result;
    }

    public override DecodeStage CreateStage(bool afterFuse, DecodeStage next) => new Streaming(next);

    private static void EndRun(List<byte> run, Action<string> emit)
    {
        if (run.Count == 0)
        {
            return;
        }

        byte[] bytes = run.ToArray();
        if (Utf8.IsValid(bytes))
        {
            emit(Encoding.UTF8.GetString(bytes));
        }
        else
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                emit("\uFFFD");
            }
        }

        run.Clear();
    }

    /// <summary>
    /// Holds a byte run back while it is valid UTF-8 or a valid prefix of it (its fate is known only when the run
    /// ends); once it cannot become valid, every byte token of it is a U+FFFD and goes out at once.
    /// </summary>
    private sealed class Streaming(DecodeStage next) : DecodeStage(next)
    {
        private readonly List<byte> _run = [];
        private int _checked; // _run[.._checked] is whole, valid UTF-8 characters
        private bool _invalid;

        public override void Push(string item)
        {
            if (!TryParseByteToken(item, out byte value))
            {
                EndRun(_run, NextStage.Push);
                _checked = 0;
                _invalid = false;
                NextStage.Push(item);
                return;
            }

            if (_invalid)
            {
                NextStage.Push("\uFFFD");
                return;
            }

            _run.Add(value);
            if (!CanStillBeValid())
            {
                _invalid = true;
                for (int i = 0; i < _run.Count; i++)
                {
                    NextStage.Push("\uFFFD");
                }

                _run.Clear();
                _checked = 0;
            }
        }

        public override void Flush()
        {
            EndRun(_run, NextStage.Push);
            _checked = 0;
            _invalid = false;
            base.Flush();
        }

        private bool CanStillBeValid()
        {
            while (_checked < _run.Count)
            {
                ReadOnlySpan<byte> rest = CollectionsMarshal.AsSpan(_run)[_checked..];
                OperationStatus status = Rune.DecodeFromUtf8(rest, out _, out int consumed);
                if (status == OperationStatus.Done)
                {
                    _checked += consumed;
                }
                else
                {
                    return status == OperationStatus.NeedMoreData;
                }
            }

            return true;
        }
    }
}
