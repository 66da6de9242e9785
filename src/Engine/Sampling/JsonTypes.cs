namespace InferMesh.Engine.Sampling;

/// <summary>The JSON Schema <c>type</c> names a compiled schema node accepts (JSON Schema 2020-12, §6.1.1).</summary>
[Flags]
internal enum JsonTypes : byte
{
    None = 0,
    Object = 1,
    Array = 2,
    String = 4,
    Number = 8,    // any JSON number; implies Integer
    Integer = 16,  // an integer written without fraction or exponent
    Boolean = 32,
    Null = 64,
    All = Object | Array | String | Number | Integer | Boolean | Null,
}
