namespace InferMesh.Engine.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character table: every byte maps to a printable character so BPE vocabularies can be
/// written as text (space becomes 'Ġ', newline 'Ċ'). Same construction as HF tokenizers' <c>bytes_char</c>
/// (tokenizers/src/pre_tokenizers/byte_level.rs) and GPT-2's <c>bytes_to_unicode</c>.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>Character for each byte value.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>Byte for each character of the alphabet, -1 for characters outside it (indexed up to U+0143).</summary>
    private static readonly short[] CharToByte = BuildCharToByte();

    public static bool TryGetByte(char c, out byte value)
    {
        if (c < CharToByte.Length && CharToByte[c] >= 0)
        {
            value = (byte)CharToByte[c];
            return true;
        }

        value = 0;
        return false;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + next++);
        }

        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[256 + 68];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            map[ByteToChar[b]] = (short)b;
        }

        return map;
    }
}
