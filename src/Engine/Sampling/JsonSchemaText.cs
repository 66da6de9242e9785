using System.Text;

namespace InferMesh.Engine.Sampling;

/// <summary>The exact bytes a compiled schema stores for keys and enum strings.</summary>
internal static class JsonSchemaText
{
    /// <summary>
    /// A string's canonical JSON spelling without the opening quote, with the closing one: only the quote, the
    /// backslash and control characters escaped (RFC 8259 §7), everything else raw UTF-8 — the one spelling the cursor
    /// accepts for a key or an enum string.
    /// </summary>
    public static byte[] KeyBytes(string name)
    {
        var text = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return Encoding.UTF8.GetBytes(text.Append('"').ToString());
    }

    /// <summary>Equality of byte arrays by content (for removing duplicate enum values).</summary>
    public static IEqualityComparer<byte[]> SameBytes { get; } = new ByteArrayComparer();

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
