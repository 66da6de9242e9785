namespace InferMesh.Engine.Sampling;

/// <summary>
/// Where one reading of the output stands in <see cref="JsonSchemaCursor"/>: the lexical mode plus the schema node
/// and match ranges of the value or key being read. Containers are <see cref="JsonSchemaFrame"/>s kept beside it.
/// </summary>
internal struct JsonSchemaPath
{
    public JsonSchemaMode Mode;
    public int Depth;

    /// <summary>The schema of the value about to start (Value, ArrayOpen) or being matched (Enum).</summary>
    public int Node;

    /// <summary>Range [Lo, Hi) of the node's sorted keys (in a key) or enum texts (in Enum) that match the bytes so far.</summary>
    public int Lo;
    public int Hi;

    /// <summary>Bytes of the key or enum text matched so far.</summary>
    public int Pos;

    public int Whitespace;

    /// <summary>Which literal (0 true, 1 false, 2 null) in Literal; hex digits left in UnicodeEscape.</summary>
    public byte Literal;
    public byte Matched;

    /// <summary>The string being read is an object key.</summary>
    public bool InKey;

    /// <summary>The key so far is a prefix of the range [Lo, Hi) of listed keys (else it can only be an additional key).</summary>
    public bool Matching;

    /// <summary>The number being read must be an integer: no fraction, no exponent.</summary>
    public bool Integer;
}

/// <summary>One open object or array of a <see cref="JsonSchemaPath"/>.</summary>
internal struct JsonSchemaFrame
{
    public int Node;

    /// <summary>Index into the node's keys of the property whose value is being read, or -1 for an additional key.</summary>
    public int Property;

    /// <summary>Objects: bit i set once key i appeared.</summary>
    public ulong Seen;

    /// <summary>Arrays: items started so far.</summary>
    public int Count;

    public bool IsArray;
}

internal enum JsonSchemaMode : byte
{
    Value,            // before a value of schema Node (after ':', ',' in an array, or at the top)
    ObjectOpen,       // after '{': a key or '}'
    ObjectKey,        // after ',' in an object: a key
    Colon,            // after a key: ':'
    ArrayOpen,        // after '[': an item of schema Node or ']'
    AfterValue,       // after a value inside a container: ',' or the container's close
    String,
    Escape,
    UnicodeEscape,
    Literal,
    Enum,             // matching the enum/const texts of Node
    Minus,
    Zero,
    Digits,
    Dot,
    Fraction,
    Exponent,
    ExponentSign,
    ExponentDigits,
    Done,             // the top-level value is complete
}
