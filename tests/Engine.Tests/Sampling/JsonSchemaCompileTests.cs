using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>Schemas the cursor could not enforce are refused up front, with a message that says what and where.</summary>
public sealed class JsonSchemaCompileTests
{
    [Fact]
    public void Unsupported_keywords_are_refused_together_naming_each_and_where()
    {
        const string schema = """
            {"type": "object", "properties": {
              "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
              "born": {"type": "string", "format": "date"},
              "n": {"type": "integer", "minimum": 0}}}
            """;

        var error = Assert.Throws<ArgumentException>(() => CompiledJsonSchema.Compile(schema));

        Assert.Equal(CompiledJsonSchema.Param, error.ParamName);
        Assert.Contains("'pattern' at #/properties/zip", error.Message, StringComparison.Ordinal);
        Assert.Contains("'format' at #/properties/born", error.Message, StringComparison.Ordinal);
        Assert.Contains("'minimum' at #/properties/n", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Annotations_are_ignored()
    {
        var compiled = CompiledJsonSchema.Compile("""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "x", "title": "t", "description": "d",
             "type": "string", "default": "a", "examples": ["b"], "$comment": "c"}
            """);

        Assert.True(new JsonSchemaCursor(compiled).Feed("\"ok\""u8));
    }

    [Theory]
    [InlineData("""{"type": "object""", "not valid JSON")]
    [InlineData("""[{"type": "string"}]""", "must be a JSON object")]
    [InlineData("""{"type": "text"}""", "'text'")]
    [InlineData("""{"$ref": "https://example.com/schema.json"}""", "only local references")]
    [InlineData("""{"$ref": "#/$defs/missing", "$defs": {}}""", "#/$defs/missing")]
    [InlineData("""{"type": "object", "required": ["a"], "additionalProperties": false}""", "'a'")]
    [InlineData("""{"type": "array", "minItems": 3, "maxItems": 2}""", "minItems 3 above maxItems 2")]
    [InlineData("""{"type": "array", "items": [{"type": "string"}]}""", "tuple")]
    [InlineData("""{"enum": [{"a": 1}]}""", "an object is not supported")]
    [InlineData("""{"type": "integer", "enum": ["a"]}""", "no document could match")]
    [InlineData("""{"anyOf": [{"$ref": "#/$defs/a"}], "$defs": {"a": {"$ref": "#/$defs/a"}}}""", "cycle")]
    [InlineData("""{"$ref": "#/$defs/u", "$defs": {"u": {"anyOf": [{"$ref": "#/$defs/u"}, {"type": "null"}]}}}""", "lists itself")]
    [InlineData("""{"type": "string", "anyOf": [{"type": "string"}]}""", "combines anyOf with type")]
    [InlineData("""{"oneOf": [{"type": "string"}]}""", "'oneOf' at #")]
    public void Malformed_or_unsatisfiable_schemas_are_refused_saying_why(string schema, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => CompiledJsonSchema.Compile(schema));

        Assert.Equal(CompiledJsonSchema.Param, error.ParamName);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_object_with_more_properties_than_the_cursor_tracks_is_refused()
    {
        var properties = string.Join(", ", Enumerable.Range(0, JsonSchemaNode.MaxProperties + 1).Select(i => $"\"p{i}\": {{\"type\": \"null\"}}"));

        var error = Assert.Throws<ArgumentException>(() => CompiledJsonSchema.Compile("{\"type\": \"object\", \"properties\": {" + properties + "}}"));

        Assert.Contains($"at most {JsonSchemaNode.MaxProperties}", error.Message, StringComparison.Ordinal);
    }
}
