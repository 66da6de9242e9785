using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>Lenient mode (function tools' parameters): validation-only keywords are ignored, structural ones still refused.</summary>
public sealed class JsonSchemaLenientCompileTests
{
    private const string Narrowed = """
        {"type": "object", "properties": {
          "zip": {"type": "string", "pattern": "^[0-9]{5}$", "minLength": 5, "maxLength": 5},
          "born": {"type": "string", "format": "date"},
          "n": {"type": "integer", "minimum": 0, "maximum": 9, "multipleOf": 3},
          "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}},
         "required": ["zip"]}
        """;

    [Fact]
    public void Lenient_mode_compiles_a_schema_with_format_pattern_and_bounds()
    {
        var compiled = CompiledJsonSchema.Compile(Narrowed, strict: false, lenient: true);

        Assert.True(new JsonSchemaCursor(compiled).Feed("""{"zip": "abc", "n": 12, "tags": ["a", "a"]}"""u8));
    }

    [Fact]
    public void Lenient_mode_still_enforces_the_schema_structure()
    {
        var compiled = CompiledJsonSchema.Compile(Narrowed, strict: false, lenient: true);

        Assert.False(new JsonSchemaCursor(compiled).Feed("""{"zip": 5"""u8));
    }

    [Fact]
    public void Without_lenient_mode_the_same_schema_is_refused()
    {
        Assert.Throws<ArgumentException>(() => CompiledJsonSchema.Compile(Narrowed, strict: false));
    }

    [Theory]
    [InlineData("""{"oneOf": [{"type": "string"}, {"type": "integer"}]}""", "'oneOf'")]
    [InlineData("""{"allOf": [{"type": "string"}]}""", "'allOf'")]
    [InlineData("""{"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}""", "https://example.com/a.json")]
    public void Lenient_mode_refuses_structure_it_cannot_follow(string schema, string named)
    {
        var error = Assert.Throws<ArgumentException>(() => CompiledJsonSchema.Compile(schema, strict: false, lenient: true));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
