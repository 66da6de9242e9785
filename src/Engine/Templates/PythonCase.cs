using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Templates;

/// <summary>
/// Python's str case methods (upper, lower, capitalize, title, swapcase, islower, isupper), which use Unicode's full
/// case mappings where .NET's invariant ToUpper/ToLower map one character to one: 'ß'.upper() is 'SS', 'ﬁ'.upper() is
/// 'FI', 'İ'.lower() is 'i̇', and a final capital sigma lowers to 'ς'
/// (https://www.unicode.org/Public/UCD/latest/ucd/SpecialCasing.txt, unconditional mappings and Final_Sigma).
/// </summary>
internal static class PythonCase
{
    private static readonly Dictionary<int, string> FullUpper = new()
    {
        [0x00DF] = "SS", [0x0149] = "\u02BCN", [0x01F0] = "J\u030C", [0x0390] = "\u0399\u0308\u0301", [0x03B0] = "\u03A5\u0308\u0301",
        [0x0587] = "\u0535\u0552", [0x1E96] = "H\u0331", [0x1E97] = "T\u0308", [0x1E98] = "W\u030A", [0x1E99] = "Y\u030A",
        [0x1E9A] = "A\u02BE", [0xFB00] = "FF", [0xFB01] = "FI", [0xFB02] = "FL", [0xFB03] = "FFI", [0xFB04] = "FFL", [0xFB05] = "ST",
        [0xFB06] = "ST", [0xFB13] = "\u0544\u0546", [0xFB14] = "\u0544\u0535", [0xFB15] = "\u0544\u053B", [0xFB16] = "\u054E\u0546",
        [0xFB17] = "\u0544\u053D",
    };

    // Title case differs from upper case for the Latin digraphs and, in full, for ligatures and ß.
    private static readonly Dictionary<int, string> FullTitle = new()
    {
        [0x00DF] = "Ss", [0x01C4] = "\u01C5", [0x01C5] = "\u01C5", [0x01C6] = "\u01C5", [0x01C7] = "\u01C8", [0x01C8] = "\u01C8",
        [0x01C9] = "\u01C8", [0x01CA] = "\u01CB", [0x01CB] = "\u01CB", [0x01CC] = "\u01CB", [0x01F1] = "\u01F2", [0x01F2] = "\u01F2",
        [0x01F3] = "\u01F2", [0x0587] = "\u0535\u0582", [0xFB00] = "Ff", [0xFB01] = "Fi", [0xFB02] = "Fl", [0xFB03] = "Ffi", [0xFB04] = "Ffl",
        [0xFB05] = "St", [0xFB06] = "St", [0xFB13] = "\u0544\u0576", [0xFB14] = "\u0544\u0565", [0xFB15] = "\u0544\u056B",
        [0xFB16] = "\u054E\u0576", [0xFB17] = "\u0544\u056D",
    };

    private const int CapitalSigma = 0x03A3;

    public static string Upper(string s)
    {
        if (IsAscii(s))
        {
            return s.ToUpperInvariant();
        }

        var sb = new StringBuilder(s.Length);
        foreach (var rune in s.EnumerateRunes())
        {
            AppendUpper(sb, rune);
        }

        return sb.ToString();
    }

    public static string Lower(string s)
    {
        if (IsAscii(s))
        {
            return s.ToLowerInvariant();
        }

        var runes = s.EnumerateRunes().ToArray();
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < runes.Length; i++)
        {
            AppendLower(sb, runes, i);
        }

        return sb.ToString();
    }

    /// <summary>str.capitalize(): first character title case, the rest lower case.</summary>
    public static string Capitalize(string s)
    {
        if (s.Length == 0)
        {
            return s;
        }

        var first = Rune.GetRuneAt(s, 0);
        var sb = new StringBuilder(s.Length);
        AppendTitle(sb, first);
        return sb.Append(Lower(s[first.Utf16SequenceLength..])).ToString();
    }

    /// <summary>str.title(): the first cased character after an uncased one goes title case, other cased ones lower.</summary>
    public static string Title(string s)
    {
        var runes = s.EnumerateRunes().ToArray();
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        for (var i = 0; i < runes.Length; i++)
        {
            var cased = IsCased(runes[i]);
            if (cased && !previousCased)
            {
                AppendTitle(sb, runes[i]);
            }
            else if (cased)
            {
                AppendLower(sb, runes, i);
            }
            else
            {
                sb.Append(runes[i].ToString());
            }

            previousCased = cased;
        }

        return sb.ToString();
    }

    public static string SwapCase(string s)
    {
        var runes = s.EnumerateRunes().ToArray();
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < runes.Length; i++)
        {
            if (Rune.IsUpper(runes[i]))
            {
                AppendLower(sb, runes, i);
            }
            else if (Rune.IsLower(runes[i]))
            {
                AppendUpper(sb, runes[i]);
            }
            else
            {
                sb.Append(runes[i].ToString());
            }
        }

        return sb.ToString();
    }

    /// <summary>str.islower(): at least one cased character and no upper/title case ones.</summary>
    public static bool IsLower(string s) => HasCased(s) && !s.EnumerateRunes().Any(r => Rune.IsUpper(r) || Rune.GetUnicodeCategory(r) == UnicodeCategory.TitlecaseLetter);

    /// <summary>str.isupper(): at least one cased character and no lower/title case ones.</summary>
    public static bool IsUpper(string s) => HasCased(s) && !s.EnumerateRunes().Any(r => Rune.IsLower(r) || Rune.GetUnicodeCategory(r) == UnicodeCategory.TitlecaseLetter);

    private static bool HasCased(string s) => s.EnumerateRunes().Any(IsCased);

    private static bool IsCased(Rune r) => Rune.IsUpper(r) || Rune.IsLower(r) || Rune.GetUnicodeCategory(r) == UnicodeCategory.TitlecaseLetter;

    private static bool IsAscii(string s) => !s.AsSpan().ContainsAnyExceptInRange('\0', '\x7f');

    private static void AppendUpper(StringBuilder sb, Rune rune)
    {
        if (FullUpper.TryGetValue(rune.Value, out var full))
        {
            sb.Append(full);
        }
        else
        {
            sb.Append(Rune.ToUpperInvariant(rune).ToString());
        }
    }

    private static void AppendTitle(StringBuilder sb, Rune rune)
    {
        if (FullTitle.TryGetValue(rune.Value, out var full))
        {
            sb.Append(full);
        }
        else
        {
            AppendUpper(sb, rune);
        }
    }

    private static void AppendLower(StringBuilder sb, Rune[] runes, int i)
    {
        var rune = runes[i];
        if (rune.Value == 0x0130)
        {
            sb.Append("i\u0307");
        }
        else if (rune.Value == CapitalSigma)
        {
            sb.Append(IsFinalSigma(runes, i) ? '\u03C2' : '\u03C3');
        }
        else
        {
            sb.Append(Rune.ToLowerInvariant(rune).ToString());
        }
    }

    /// <summary>Final_Sigma: preceded by a cased letter and not followed by one (case-ignorable characters skipped).</summary>
    private static bool IsFinalSigma(Rune[] runes, int i)
    {
        var before = i - 1;
        while (before >= 0 && IsCaseIgnorable(runes[before]))
        {
            before--;
        }

        if (before < 0 || !IsCased(runes[before]))
        {
            return false;
        }

        var after = i + 1;
        while (after < runes.Length && IsCaseIgnorable(runes[after]))
        {
            after++;
        }

        return after >= runes.Length || !IsCased(runes[after]);
    }

    private static bool IsCaseIgnorable(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
        or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || r.Value is '\'' or '.' or ':' or 0x00B7 or 0x2019;
}
