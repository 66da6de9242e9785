using System.Buffers;
using System.IO.Compression;
using System.Text;

namespace InferMesh.Engine.Tokenization;

internal enum UnicodeNormalizationForm
{
    Nfc,
    Nfd,
    Nfkc,
    Nfkd,
}

/// <summary>
/// Unicode normalization (NFC, NFD, NFKC, NFKD) as UAX #15 defines it (https://unicode.org/reports/tr15/).
/// We need our own because the solution runs with InvariantGlobalization, where <see cref="string.Normalize()"/>
/// leaves non-ASCII text as it is; Qwen2's tokenizer.json, for one, normalizes with NFC.
/// Tables come from <see cref="UnicodeNormalizationData"/>, generated from CPython's unicodedata.
/// </summary>
internal static class UnicodeNormalizer
{
    // Hangul syllable arithmetic, Unicode 3.12 "Conjoining Jamo Behavior".
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Lazy<Tables> Data = new(LoadTables, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Normalize(string text, UnicodeNormalizationForm form)
    {
        // Below these code points every form leaves text unchanged (checked against unicodedata: nothing under
        // U+0300 changes under NFC, nothing under U+00C0 under NFD, nothing under U+00A0 under NFKC/NFKD).
        char limit = form switch
        {
            UnicodeNormalizationForm.Nfc => '\u0300',
            UnicodeNormalizationForm.Nfd => '\u00C0',
            _ => '\u00A0',
        };
        if (!text.AsSpan().ContainsAnyExceptInRange('\0', (char)(limit - 1)))
        {
            return text;
        }

        Tables tables = Data.Value;
        bool compatibility = form is UnicodeNormalizationForm.Nfkc or UnicodeNormalizationForm.Nfkd;
        int[] buffer = ArrayPool<int>.Shared.Rent(text.Length * 4 + 16);
        try
        {
            int count = Decompose(text, compatibility, tables, ref buffer);
            ReorderCanonically(buffer, count, tables);
            if (form is UnicodeNormalizationForm.Nfc or UnicodeNormalizationForm.Nfkc)
            {
                count = Compose(buffer, count, tables);
            }

            var builder = new StringBuilder(count + 8);
            for (int i = 0; i < count; i++)
            {
                int cp = buffer[i];
                if (cp < 0x10000)
                {
                    builder.Append((char)cp); // also keeps lone surrogates as they came
                }
                else
                {
                    builder.Append(char.ConvertFromUtf32(cp));
                }
            }

            return builder.ToString();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    private static int Decompose(string text, bool compatibility, Tables tables, ref int[] buffer)
    {
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }

            if (count + 32 > buffer.Length)
            {
                int[] larger = ArrayPool<int>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, count).CopyTo(larger);
                ArrayPool<int>.Shared.Return(buffer);
                buffer = larger;
            }

            int sIndex = cp - SBase;
            if ((uint)sIndex < SCount)
            {
                buffer[count++] = LBase + sIndex / NCount;
                buffer[count++] = VBase + sIndex % NCount / TCount;
                if (sIndex % TCount != 0)
                {
                    buffer[count++] = TBase + sIndex % TCount;
                }

                continue;
            }

            int[]? mapping = null;
            if (compatibility)
            {
                tables.Compatibility.TryGetValue(cp, out mapping);
            }

            if (mapping is null && !tables.Canonical.TryGetValue(cp, out mapping))
            {
                buffer[count++] = cp;
                continue;
            }

            foreach (int part in mapping)
            {
                buffer[count++] = part;
            }
        }

        return count;
    }

    /// <summary>Stable sort of every run of non-starters by combining class (UAX #15, canonical ordering).</summary>
    private static void ReorderCanonically(int[] buffer, int count, Tables tables)
    {
        for (int i = 1; i < count; i++)
        {
            int cp = buffer[i];
            int cls = CombiningClass(cp, tables);
            if (cls == 0)
            {
                continue;
            }

            int j = i;
            while (j > 0)
            {
                int previous = CombiningClass(buffer[j - 1], tables);
                if (previous <= cls)
                {
                    break;
                }

                buffer[j] = buffer[j - 1];
                j--;
            }

            buffer[j] = cp;
        }
    }

    /// <summary>Canonical composition (UAX #15 section 1.3): combine each unblocked character with the last starter.</summary>
    private static int Compose(int[] buffer, int count, Tables tables)
    {
        if (count == 0)
        {
            return 0;
        }

        int starterPosition = 0;
        int starter = buffer[0];
        int lastClass = CombiningClass(starter, tables) == 0 ? 0 : 256; // a leading non-starter blocks everything
        int output = 1;
        for (int i = 1; i < count; i++)
        {
            int cp = buffer[i];
            int cls = CombiningClass(cp, tables);
            if ((lastClass < cls || lastClass == 0) && TryCompose(starter, cp, tables, out int composite))
            {
                buffer[starterPosition] = composite;
                starter = composite;
                continue;
            }

            if (cls == 0)
            {
                starterPosition = output;
                starter = cp;
            }

            lastClass = cls;
            buffer[output++] = cp;
        }

        return output;
    }

    private static bool TryCompose(int first, int second, Tables tables, out int composite)
    {
        int lIndex = first - LBase, vIndex = second - VBase;
        if ((uint)lIndex < LCount && (uint)vIndex < VCount)
        {
            composite = SBase + (lIndex * VCount + vIndex) * TCount;
            return true;
        }

        int sIndex = first - SBase, tIndex = second - TBase;
        if ((uint)sIndex < SCount && sIndex % TCount == 0 && tIndex > 0 && tIndex < TCount)
        {
            composite = first + tIndex;
            return true;
        }

        return tables.Composites.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static int CombiningClass(int cp, Tables tables) =>
        cp < 0x300 ? 0 : tables.CombiningClasses.GetValueOrDefault(cp);

    private static Tables LoadTables()
    {
        byte[] packed = Convert.FromBase64String(UnicodeNormalizationData.DeflatedBase64);
        using var inflater = new DeflateStream(new MemoryStream(packed), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        inflater.CopyTo(raw);
        var reader = new TableReader(raw.ToArray());

        var classes = new Dictionary<int, byte>();
        for (int n = reader.Count(); n > 0; n--)
        {
            classes[reader.CodePoint()] = reader.Byte();
        }

        Dictionary<int, int[]> canonical = reader.Mappings(), compatibility = reader.Mappings();
        var composites = new Dictionary<long, int>();
        for (int n = reader.Count(); n > 0; n--)
        {
            int first = reader.CodePoint(), second = reader.CodePoint();
            composites[((long)first << 21) | (uint)second] = reader.CodePoint();
        }

        return new Tables(classes, canonical, compatibility, composites);
    }

    private sealed record Tables(
        Dictionary<int, byte> CombiningClasses,
        Dictionary<int, int[]> Canonical,
        Dictionary<int, int[]> Compatibility,
        Dictionary<long, int> Composites);

    private sealed class TableReader(byte[] data)
    {
        private int _position;

        public int Count()
        {
            int value = BitConverter.ToInt32(data, _position);
            _position += 4;
            return value;
        }

        public byte Byte() => data[_position++];

        public int CodePoint()
        {
            int value = data[_position] | (data[_position + 1] << 8) | (data[_position + 2] << 16);
            _position += 3;
            return value;
        }

        public Dictionary<int, int[]> Mappings()
        {
            var mappings = new Dictionary<int, int[]>();
            for (int n = Count(); n > 0; n--)
            {
                int cp = CodePoint();
                var parts = new int[Byte()];
                for (int i = 0; i < parts.Length; i++)
                {
                    parts[i] = CodePoint();
                }

                mappings[cp] = parts;
            }

            return mappings;
        }
    }
}
