using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>HF's SplitDelimiterBehavior: what happens to the pieces a pattern matched.</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// <summary>
/// HF's Split pre-tokenizer (tokenizers/src/pre_tokenizers/split.rs): find the pattern's matches, keep the text
/// between them as non-matches, optionally invert which is which, then group by the behavior exactly as
/// <c>NormalizedString::split</c> does.
/// </summary>
internal sealed class SplitStep : PreTokenizer
{
    private readonly PreTokenizerRegex? _regex;
    private readonly string? _literal;
    private readonly SplitBehavior _behavior;
    private readonly bool _invert;

    private SplitStep(PreTokenizerRegex? regex, string? literal, SplitBehavior behavior, bool invert)
    {
        _regex = regex;
        _literal = literal;
        _behavior = behavior;
        _invert = invert;
    }

    public static SplitStep Parse(JsonElement node, string path)
    {
        JsonElement pattern = TokenizerJson.RequiredObject(node, "pattern", path, "pre_tokenizer Split");
        string behaviorName = TokenizerJson.RequiredString(node, "behavior", path, "pre_tokenizer Split");
        if (!Enum.TryParse(behaviorName, ignoreCase: false, out SplitBehavior behavior) || !Enum.IsDefined(behavior))
        {
            throw new InvalidDataException(
                $"{path}: pre_tokenizer Split has unknown behavior '{behaviorName}' " +
                "(expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous).");
        }

        bool invert = TokenizerJson.OptionalBool(node, "invert", false);
        if (pattern.TryGetProperty("Regex", out JsonElement regex) && regex.ValueKind == JsonValueKind.String)
        {
            return new SplitStep(PreTokenizerRegex.Compile(regex.GetString()!, path, "pre_tokenizer Split"), null, behavior, invert);
        }

        if (pattern.TryGetProperty("String", out JsonElement literal) && literal.ValueKind == JsonValueKind.String)
        {
            return new SplitStep(null, literal.GetString()!, behavior, invert);
        }

        throw new InvalidDataException($"{path}: pre_tokenizer Split needs pattern {{\"Regex\": ...}} or {{\"String\": ...}}.");
    }

    /// <summary>
    /// HF's Digits pre-tokenizer (tokenizers/src/pre_tokenizers/digits.rs): splits on <c>char::is_numeric</c>
    /// (\p{N}), each digit on its own (Isolated) or runs of digits together (Contiguous).
    /// </summary>
    public static SplitStep Digits(bool individualDigits) =>
        new(PreTokenizerRegex.Compile(@"\p{N}", "(built in)", "Digits"), null,
            individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, invert: false);

    public override void Split(List<TextSlice> input, List<TextSlice> output, SectionStart section)
    {
        foreach (TextSlice slice in input)
        {
            SplitOne(slice, _regex, _literal, _behavior, _invert, output);
        }
    }

    /// <summary>Splits one slice; non-empty results go to <paramref name="output"/>.</summary>
    public static void SplitOne(
        TextSlice slice, PreTokenizerRegex? regex, string? literal, SplitBehavior behavior, bool invert, List<TextSlice> output)
    {
        if (slice.Length == 0)
        {
            return;
        }

        var matches = new List<(int Start, int Length)>();
        if (regex is not null)
        {
            regex.FindMatches(slice.Span, matches);
        }
        else if (literal!.Length > 0)
        {
            ReadOnlySpan<char> text = slice.Span;
            for (int at = 0; at <= text.Length;)
            {
                int found = text[at..].IndexOf(literal, StringComparison.Ordinal);
                if (found < 0)
                {
                    break;
                }

                matches.Add((at + found, literal.Length));
                at += found + literal.Length;
            }
        }

        // (start, end, isMatch) covering the whole slice, as Pattern::find_matches returns them.
        var pieces = new List<(int Start, int End, bool IsMatch)>(matches.Count * 2 + 1);
        int previous = 0;
        foreach ((int start, int length) in matches)
        {
            if (previous != start)
            {
                pieces.Add((previous, start, invert));
            }

            pieces.Add((start, start + length, !invert));
            previous = start + length;
        }

        if (previous != slice.Length)
        {
            pieces.Add((previous, slice.Length, invert));
        }

        foreach ((int start, int end) in Group(pieces, behavior))
        {
            if (end > start)
            {
                output.Add(new TextSlice(slice.Source, slice.Start + start, end - start));
            }
        }
    }

    private static List<(int Start, int End)> Group(List<(int Start, int End, bool IsMatch)> pieces, SplitBehavior behavior)
    {
        var groups = new List<(int Start, int End)>(pieces.Count);
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                pieces.ForEach(p => groups.Add((p.Start, p.End)));
                break;
            case SplitBehavior.Removed:
                pieces.ForEach(p =>
                {
                    if (!p.IsMatch)
                    {
                        groups.Add((p.Start, p.End));
                    }
                });
                break;
            case SplitBehavior.Contiguous:
                foreach (var p in pieces)
                {
                    if (p.IsMatch == previousMatch && groups.Count > 0)
                    {
                        groups[^1] = (groups[^1].Start, p.End);
                    }
                    else
                    {
                        groups.Add((p.Start, p.End));
                    }

                    previousMatch = p.IsMatch;
                }

                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var p in pieces)
                {
                    if (p.IsMatch && !previousMatch && groups.Count > 0)
                    {
                        groups[^1] = (groups[^1].Start, p.End);
                    }
                    else
                    {
                        groups.Add((p.Start, p.End));
                    }

                    previousMatch = p.IsMatch;
                }

                break;
            case SplitBehavior.MergedWithNext:
                for (int i = pieces.Count - 1; i >= 0; i--)
                {
                    var p = pieces[i];
                    if (p.IsMatch && !previousMatch && groups.Count > 0)
                    {
                        groups[^1] = (p.Start, groups[^1].End);
                    }
                    else
                    {
                        groups.Add((p.Start, p.End));
                    }

                    previousMatch = p.IsMatch;
                }

                groups.Reverse();
                break;
        }

        return groups;
    }
}
