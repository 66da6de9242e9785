namespace InferMesh.Engine.Sampling;

/// <summary>
/// One schema of a <see cref="CompiledJsonSchema"/>, with every reference to another schema an index into the node
/// table (so <c>$ref</c> cycles cost nothing). Keys and enum values are stored as the exact bytes the cursor accepts,
/// sorted by bytes so that the candidates sharing a prefix are a contiguous range.
/// </summary>
internal sealed class JsonSchemaNode
{
    /// <summary>Index of the node that accepts any JSON value (the schema <c>true</c> or <c>{}</c>).</summary>
    public const int AnyIndex = 0;

    /// <summary>No schema: in <see cref="Additional"/>, no key outside <see cref="Keys"/> is allowed.</summary>
    public const int NoNode = -1;

    /// <summary>Most properties one object schema may list: the cursor tracks which it has seen in a 64-bit mask.</summary>
    public const int MaxProperties = 64;

    public JsonTypes Types { get; set; } = JsonTypes.All;

    /// <summary><c>anyOf</c> branches (node indices), or null when this node is not a union.</summary>
    public int[]? Branches { get; set; }

    /// <summary>A pure <c>$ref</c>: the node it stands for (resolved away once compiling ends), or <see cref="NoNode"/>.</summary>
    public int AliasOf { get; set; } = NoNode;

    /// <summary>Each property's key as canonical JSON string content followed by the closing quote, sorted by bytes.</summary>
    public byte[][] Keys { get; set; } = [];

    /// <summary>The schema of each key's value (parallel to <see cref="Keys"/>).</summary>
    public int[] KeyNodes { get; set; } = [];

    /// <summary>Bit i set: <see cref="Keys"/>[i] is required.</summary>
    public ulong Required { get; set; }

    /// <summary>Schema of keys not in <see cref="Keys"/>, or <see cref="NoNode"/> when none are allowed.</summary>
    public int Additional { get; set; } = AnyIndex;

    public int Items { get; set; } = AnyIndex;

    public int MinItems { get; set; }

    public int MaxItems { get; set; } = int.MaxValue;

    /// <summary><c>enum</c>/<c>const</c> values as canonical JSON texts sorted by bytes, or null when any value of <see cref="Types"/> goes.</summary>
    public byte[][]? Enum { get; set; }

    /// <summary>Mask of all <see cref="Keys"/>.</summary>
    public ulong AllKeys => Keys.Length == 64 ? ulong.MaxValue : (1UL << Keys.Length) - 1;
}
