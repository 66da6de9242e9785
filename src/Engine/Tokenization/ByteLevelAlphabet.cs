namespace InferMesh.Engine.Tokenization;

/// <summary>
/// GPT-2's bytes_to_unicode table (used by every byte-level BPE): printable bytes map to themselves, the rest to
/// code points 256+n, so any byte string becomes a string of visible characters, and back.
/// </summary>
internal static class ByteLevelAlphabet
{
    public static char[] ByteToChar { get; } = Build();

    /// <summary>Character → byte, or -1 when the character is not in the alphabet.</summary>
    public static short[] CharToByte { get; } = Invert(ByteToChar);

    private static char[] Build()
    {
        var map = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + n++);
        }

        return map;
    }

    private static short[] Invert(char[] map)
    {
        var inverse = new short[512];
        Array.Fill(inverse, (short)-1);
        for (var b = 0; b < 256; b++)
        {
            inverse[map[b]] = (short)b;
        }

        return inverse;
    }

    /// <summary>
    /// Appends a token's bytes the way tokenizers' ByteLevel decoder does: every character mapped back to its byte, or,
    /// if any character is outside the alphabet (an added token's raw text), the token's own UTF-8 bytes.
    /// </summary>
    public static void AppendBytes(string token, List<byte> output)
    {
        foreach (var c in token)
        {
            if (c >= CharToByte.Length || CharToByte[c] < 0)
            {
                output.AddRange(System.Text.Encoding.UTF8.GetBytes(token));
                return;
            }
        }

        foreach (var c in token)
        {
            output.Add((byte)CharToByte[c]);
        }
    }
}
