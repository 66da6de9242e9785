using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>Schemas that once hung the compiler, dead-ended decoding, failed as 500s or let a listed key slip past its schema.</summary>
public sealed class JsonSchemaEdgeCaseTests
{
    [Fact]
    public async Task Thirteen_levels_of_ten_way_unions_through_refs_compile_at_once()
    {
        // u0..u11 each an anyOf of ten $refs to the next level, u12 a string: 10^12 paths through the unions, 2.9 KB.
        var defs = string.Join(",", Enumerable.Range(0, 12).Select(k =>
            $$"""
            "u{{k}}": {"anyOf": [{{string.Join(",", Enumerable.Repeat($$"""{"$ref": "#/$defs/u{{k + 1}}"}""", 10))}}]}
            """));
        var schema = "{\"$defs\": {" + defs + ", \"u12\": {\"type\": \"string\"}}, \"$ref\": \"#/$defs/u0\"}";

        var compile = Task.Run(() => CompiledJsonSchema.Compile(schema, strict: false), TestContext.Current.CancellationToken);
        var finished = await Task.WhenAny(compile, Task.Delay(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));

        Assert.Same(compile, finished);
        var cursor = new JsonSchemaCursor(await compile);
        Assert.True(cursor.Feed("\"text\""u8));
    }

    [Fact]
    public void A_lone_surrogate_escape_in_the_schema_is_refused_as_an_argument_error()
    {
        var error = Assert.Throws<ArgumentException>(() => CompiledJsonSchema.Compile("""{"enum": ["\ud800"]}"""));

        Assert.Contains("Unicode", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"$defs": {"t": {"type": "object", "properties": {"c": {"$ref": "#/$defs/t"}}, "required": ["c"], "additionalProperties": false}}, "$ref": "#/$defs/t"}""")]
    [InlineData("""{"$defs": {"a": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/a"}}}, "type": "object", "properties": {"x": {"$ref": "#/$defs/a"}}}""")]
    public void A_schema_whose_documents_never_end_is_refused(string schema)
    {
        var error = Assert.Throws<ArgumentException>(() => CompiledJsonSchema.Compile(schema, strict: false));

        Assert.Contains("finite", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_recursion_is_finishable_and_compiles()
    {
        var schema = CompiledJsonSchema.Compile("""{"$defs": {"t": {"type": "object", "properties": {"c": {"$ref": "#/$defs/t"}}, "additionalProperties": false}}, "$ref": "#/$defs/t"}""");

        Assert.True(new JsonSchemaCursor(schema).Feed("""{"c": {"c": {}}}"""u8));
    }

    [Fact]
    public void A_listed_key_cannot_be_spelled_with_escapes_to_slip_past_its_schema()
    {
        var schema = CompiledJsonSchema.Compile("""{"type": "object", "properties": {"a": {"type": "integer"}}}""", strict: false);

        Assert.False(new JsonSchemaCursor(schema).Feed("""{"\u0061": "not an integer"}"""u8));
        Assert.True(new JsonSchemaCursor(schema).Feed("""{"a": 1, "b": "extra"}"""u8));
    }
}
