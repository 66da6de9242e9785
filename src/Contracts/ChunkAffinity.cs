namespace InferMesh.Contracts;

/// <summary>
/// KV-aware routing hint: for each silo, the tokens of a request's chunks whose KV that silo already holds. The
/// gateway computes it from the chunk directory and passes it in Orleans RequestContext
/// (<see cref="RequestContextKeys.ChunkAffinity"/>); session placement prefers the silos with the most.
/// </summary>
public static class ChunkAffinity
{
    /// <summary>Tokens per silo over the chunks' copies on <paramref name="liveSilos"/> (a chunk counts once per silo).</summary>
    public static Dictionary<string, long> TokensBySilo(IEnumerable<ChunkInfo> chunks, IReadOnlySet<string> liveSilos)
    {
        var tokens = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in chunks)
        {
            if (chunk.Tokens is not { } count)
            {
                continue;
            }

            foreach (var silo in chunk.Copies.Where(c => c.Variants.Count > 0).Select(c => c.Silo).Distinct(StringComparer.Ordinal))
            {
                if (liveSilos.Contains(silo))
                {
                    tokens[silo] = tokens.GetValueOrDefault(silo) + count;
                }
            }
        }

        return tokens;
    }

    /// <summary><c>silo=tokens;silo=tokens</c> (silo addresses contain neither '=' nor ';').</summary>
    public static string Encode(IReadOnlyDictionary<string, long> tokensBySilo) =>
        string.Join(';', tokensBySilo.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>Reads <see cref="Encode"/>'s form; anything malformed is skipped (a hint, never an error).</summary>
    public static Dictionary<string, long> Decode(string? value)
    {
        var tokens = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = entry.LastIndexOf('=');
            if (eq > 0 && long.TryParse(entry.AsSpan(eq + 1), out var count) && count > 0)
            {
                tokens[entry[..eq]] = count;
            }
        }

        return tokens;
    }
}
