using System.Security.Cryptography;
using System.Text;

namespace InferMesh.Contracts;

/// <summary>
/// Key of a chunk's directory grain: <c>model/namespace/hash</c>. The hash is of the chunk's text and model (so the
/// gateway computes it without a tokenizer); the namespace is the cache namespace (a tenant's own unless it opted into
/// a shared group), so one tenant's chunk is another grain than the same text of another tenant. The model may contain
/// '/' and is parsed from the front; namespaces and hashes contain none.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ChunkKey([property: Id(0)] string Model, [property: Id(1)] string Namespace, [property: Id(2)] string Hash)
{
    /// <summary>Prefix of the public chunk id (<c>chunk-</c> + hash), as OpenAI prefixes its object ids.</summary>
    public const string IdPrefix = "chunk-";

    /// <summary>Hex characters of a chunk hash (128 bits of SHA-256).</summary>
    public const int HashLength = 32;

    /// <summary>The public id, <c>chunk-</c> + hash.</summary>
    public string Id => IdPrefix + Hash;

    public override string ToString() => $"{Model}/{Namespace}/{Hash}";

    public static ChunkKey Parse(string key)
    {
        var last = key.LastIndexOf('/');
        var middle = last > 0 ? key.LastIndexOf('/', last - 1) : -1;
        if (middle <= 0 || !IsHash(key[(last + 1)..]))
        {
            throw new FormatException($"chunk key '{key}' is not of the form model/namespace/hash");
        }

        return new ChunkKey(key[..middle], key[(middle + 1)..last], key[(last + 1)..]);
    }

    /// <summary>The key of a text given as a document or registered as a chunk of <paramref name="model"/>.</summary>
    public static ChunkKey ForText(string model, string cacheNamespace, string text) => new(model, cacheNamespace, HashOf(model, text));

    /// <summary>Hex of the first 128 bits of SHA-256(model, NUL, text as UTF-8): the same text of another model is another chunk.</summary>
    public static string HashOf(string model, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(model + "\0" + text);
        return Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, HashLength / 2));
    }

    /// <summary>The hash of a public id <c>chunk-</c> + 32 lowercase hex digits; false for anything else.</summary>
    public static bool TryParseId(string? id, out string hash)
    {
        hash = "";
        if (id is null || !id.StartsWith(IdPrefix, StringComparison.Ordinal) || !IsHash(id[IdPrefix.Length..]))
        {
            return false;
        }

        hash = id[IdPrefix.Length..];
        return true;
    }

    private static bool IsHash(string s) => s.Length == HashLength && s.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
