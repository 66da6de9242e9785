using System.Globalization;
using System.Text.RegularExpressions;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// A tokenizer.json regex run the way HF tokenizers runs it (Oniguruma over code points), on .NET's engine.
/// .NET regexes see UTF-16 code units, so a letter outside the BMP (e.g. U+20000) would be two non-letters to
/// <c>\p{L}</c> and split words differently from HF. When the text holds surrogate pairs we match against a copy
/// in which each supplementary code point is one BMP stand-in of the same Unicode category, then map the match
/// offsets back. Patterns that name supplementary characters literally are not supported by this scheme.
/// </summary>
internal sealed class PreTokenizerRegex
{
    /// <summary>GPT-2's pattern, which HF's ByteLevel pre-tokenizer uses when use_regex is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    // One BMP character per UnicodeCategory, not white space and not case-mapping to ASCII, so that (?i) literals,
    // \s, \w, \d and \p{..} classes treat it exactly as they would the supplementary code point it stands for.
    private static readonly char[] StandIns = BuildStandIns();

    private readonly Regex _regex;

    private PreTokenizerRegex(Regex regex) => _regex = regex;

    public static PreTokenizerRegex Compile(string pattern, string path, string what)
    {
        try
        {
            return new PreTokenizerRegex(new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled));
        }
        catch (ArgumentException ex)
        {
            throw new NotSupportedException(
                $"{path}: the {what} regex '{pattern}' cannot be compiled by .NET ({ex.Message}). " +
                "Oniguruma-only syntax such as possessive quantifiers is not supported.", ex);
        }
    }

    public string Replace(string text, string replacement) => _regex.Replace(text, replacement);

    /// <summary>Appends every match in <paramref name="text"/> as (start, length), in order, empty matches included.</summary>
    public void FindMatches(ReadOnlySpan<char> text, List<(int Start, int Length)> matches)
    {
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (ValueMatch match in _regex.EnumerateMatches(text))
            {
                matches.Add((match.Index, match.Length));
            }

            return;
        }

        // One stand-in char per code point; offsets[i] is where code point i starts in the original text.
        var substitute = new char[text.Length];
        var offsets = new int[text.Length + 1];
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            offsets[count] = i;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int codePoint = char.ConvertToUtf32(text[i], text[i + 1]);
                substitute[count++] = StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(codePoint)];
                i++;
            }
            else
            {
                substitute[count++] = text[i];
            }
        }

        offsets[count] = text.Length;
        foreach (ValueMatch match in _regex.EnumerateMatches(substitute.AsSpan(0, count)))
        {
            int start = offsets[match.Index];
            matches.Add((start, offsets[match.Index + match.Length] - start));
        }
    }

    private static char[] BuildStandIns()
    {
        var standIns = new char[32];
        Array.Fill(standIns, '\uFFFD');
        var found = new bool[32];
        for (int c = 0xA1; c <= 0xFFFD; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            char ch = (char)c;
            int category = (int)CharUnicodeInfo.GetUnicodeCategory(ch);
            if (found[category] || char.IsWhiteSpace(ch) || char.ToLowerInvariant(ch) < 0x80 || char.ToUpperInvariant(ch) < 0x80)
            {
                continue;
            }

            standIns[category] = ch;
            found[category] = true;
        }

        return standIns;
    }
}
