using System.Buffers;
using System.Globalization;
using System.Text;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// Finds added tokens in text the way HF's AddedVocabulary::find_matches does
/// (tokenizers/src/tokenizer/added_vocabulary.rs): leftmost-longest, non-overlapping matches; single_word tokens
/// only between non-word characters; lstrip/rstrip tokens swallow the white space beside them.
/// </summary>
internal sealed class AddedTokenSplitter
{
    // Candidates by first character, longest first, so the first that matches at a position is the longest.
    private readonly Dictionary<char, (string Pattern, AddedToken Token)[]> _byFirstChar;
    private readonly SearchValues<char> _firstChars;

    /// <param name="tokens">The tokens and the text each matches (content, or its normalized form).</param>
    public AddedTokenSplitter(IEnumerable<(string Pattern, AddedToken Token)> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Pattern.Length > 0)
            .GroupBy(t => t.Pattern[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Pattern.Length).ToArray());
        _firstChars = SearchValues.Create(_byFirstChar.Keys.ToArray());
    }

    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>Appends the pieces of <paramref name="text"/>: (start, end, token) with token null for plain text.</summary>
    public void Split(string text, List<(int Start, int End, AddedToken? Token)> pieces)
    {
        int startOffset = 0;
        int searchFrom = 0;
        while (searchFrom < text.Length)
        {
            int found = text.AsSpan(searchFrom).IndexOfAny(_firstChars);
            if (found < 0)
            {
                break;
            }

            int start = searchFrom + found;
            if (!TryMatchAt(text, start, out string pattern, out AddedToken token))
            {
                searchFrom = start + 1;
                continue;
            }

            int stop = start + pattern.Length;
            searchFrom = stop;
            if (token.SingleWord && (EndsWithWord(text, start) || StartsWithWord(text, stop)))
            {
                continue; // HF discards the match and goes on searching after it
            }

            if (token.LeftStrip)
            {
                int spaceStart = start;
                while (spaceStart > 0 && char.IsWhiteSpace(text[spaceStart - 1]))
                {
                    spaceStart--;
                }

                start = Math.Max(spaceStart, startOffset);
            }

            if (token.RightStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop]))
                {
                    stop++;
                }

                searchFrom = stop;
            }

            if (startOffset < start)
            {
                pieces.Add((startOffset, start, null));
            }

            pieces.Add((start, stop, token));
            startOffset = stop;
        }

        if (startOffset < text.Length)
        {
            pieces.Add((startOffset, text.Length, null));
        }
    }

    private bool TryMatchAt(string text, int position, out string pattern, out AddedToken token)
    {
        ReadOnlySpan<char> rest = text.AsSpan(position);
        foreach ((string candidate, AddedToken candidateToken) in _byFirstChar[text[position]])
        {
            if (rest.StartsWith(candidate, StringComparison.Ordinal))
            {
                pattern = candidate;
                token = candidateToken;
                return true;
            }
        }

        pattern = string.Empty;
        token = null!;
        return false;
    }

    private static bool EndsWithWord(string text, int end) =>
        end > 0 && Rune.DecodeLastFromUtf16(text.AsSpan(0, end), out Rune rune, out _) == OperationStatus.Done && IsWordRune(rune);

    private static bool StartsWithWord(string text, int start) =>
        start < text.Length && Rune.DecodeFromUtf16(text.AsSpan(start), out Rune rune, out _) == OperationStatus.Done && IsWordRune(rune);

    /// <summary>Rust regex's Unicode <c>\w</c>: Alphabetic, marks, decimal digits, connector punctuation, joiners.</summary>
    private static bool IsWordRune(Rune rune) =>
        rune.Value is 0x200C or 0x200D || Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or
            UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber or
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
            _ => false,
        };
}
