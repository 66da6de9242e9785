using System.Text;
using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>The schema cursor accepts exactly the byte prefixes of documents valid against a schema.</summary>
public sealed class JsonSchemaCursorTests
{
    internal const string Pet = """
        {
          "type": "object",
          "title": "pet",
          "properties": {
            "name": {"type": "string", "description": "what it answers to"},
            "age": {"type": "integer"},
            "score": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "kind": {"enum": ["cat", "dog", 1, null, true]},
            "owner": {"$ref": "#/$defs/person"},
            "nick": {"type": ["string", "null"]},
            "shape": {"anyOf": [
              {"type": "object", "properties": {"r": {"type": "number"}}, "required": ["r"], "additionalProperties": false},
              {"type": "object", "properties": {"w": {"type": "number"}, "h": {"type": "number"}}, "required": ["w", "h"], "additionalProperties": false}
            ]}
          },
          "required": ["name", "age", "kind"],
          "additionalProperties": false,
          "$defs": {
            "person": {"type": "object", "properties": {"first": {"type": "string"}, "alive": {"type": "boolean"}}, "required": ["first"], "additionalProperties": false}
          }
        }
        """;

    private const string Tree = """
        {"$ref": "#/$defs/node", "$defs": {"node": {"type": "object", "properties": {
          "v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["v"], "additionalProperties": false}}}
        """;

    [Theory]
    [InlineData(Pet)]
    [InlineData(Tree)]
    [InlineData("""{"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "array", "items": {"type": "boolean"}, "minItems": 1}]}, "minItems": 1, "maxItems": 4}""")]
    [InlineData("""{"anyOf": [{"type": "number"}, {"enum": ["x", "yz"]}, {"type": "null"}]}""")]
    public void Generated_documents_are_accepted_byte_by_byte_and_may_end(string schema)
    {
        var compiled = CompiledJsonSchema.Compile(schema);
        var instances = SchemaInstances.Parse(schema);
        var random = new Random(5);
        for (var n = 0; n < 300; n++)
        {
            var document = instances.Generate(random);
            Assert.True(instances.Validate(document), $"the generator wrote an invalid document: {document}");
            var cursor = new JsonSchemaCursor(compiled);
            var bytes = Encoding.UTF8.GetBytes(document);
            for (var i = 0; i < bytes.Length; i++)
            {
                Assert.False(cursor.IsComplete, $"complete before byte {i} of {document}");
                Assert.True(cursor.Feed(bytes[i]), $"refused byte {i} ('{(char)bytes[i]}') of {document}");
            }

            Assert.True(cursor.CanEnd, $"cannot end after {document}");
        }
    }

    [Theory]
    [InlineData("""{"name": "x", "age": 1}""", """{"name": "x", "age": 1""", "kind is required")]
    [InlineData("""{"nam": 1}""", """{"nam""", "no listed key is 'nam'")]
    [InlineData("""{"colour": 1}""", "{\"", "no listed key starts with 'c'")]
    [InlineData("""{"age": "9"}""", """{"age": """, "age is an integer, not a string")]
    [InlineData("""{"age": 1.5}""", """{"age": 1""", "an integer has no fraction")]
    [InlineData("""{"age": 1e3}""", """{"age": 1""", "an integer has no exponent")]
    [InlineData("""{"kind": "cow"}""", """{"kind": "c""", "cow is not in the enum")]
    [InlineData("""{"kind": 12}""", """{"kind": 1""", "12 is not in the enum")]
    [InlineData("""{"name": "a", "name": "b"}""", "{\"name\": \"a\", \"n", "a key may appear once (n could start nick, na only name)")]
    [InlineData("""{"tags": ["a", "b", "c", "d"]}""", "{\"tags\": [\"a\", \"b\", \"c\"", "at most 3 tags")]
    [InlineData("""{"owner": {"alive": true}}""", """{"owner": {"alive": true""", "the owner's first name is required")]
    [InlineData("""{"shape": {"r": 1, "h": 2}}""", """{"shape": {"r": 1""", "no anyOf branch has both r and h")]
    [InlineData("""{"nick": false}""", """{"nick": """, "nick is a string or null")]
    [InlineData("""{"name": "x", "age": 1, "kind": null} """, """{"name": "x", "age": 1, "kind": null}""", "nothing follows the document")]
    public void Invalid_documents_are_refused_at_their_first_wrong_byte(string document, string acceptedPrefix, string why)
    {
        var cursor = new JsonSchemaCursor(CompiledJsonSchema.Compile(Pet));
        var bytes = Encoding.UTF8.GetBytes(document);
        var wrong = Encoding.UTF8.GetByteCount(acceptedPrefix);
        for (var i = 0; i < wrong; i++)
        {
            Assert.True(cursor.Feed(bytes[i]), $"{why}: byte {i} of {document} refused too early");
        }

        Assert.False(cursor.Feed(bytes[wrong]), $"{why}: byte {wrong} of {document} accepted");
    }

    [Fact]
    public void A_key_outside_the_schema_is_allowed_without_strict_mode_and_refused_with_it()
    {
        const string schema = """{"type": "object", "properties": {"a": {"type": "integer"}}}""";
        var document = Encoding.UTF8.GetBytes("""{"zz": [1, {"q": null}], "a": 3}""");

        var loose = new JsonSchemaCursor(CompiledJsonSchema.Compile(schema, strict: false));
        Assert.True(loose.Feed(document));
        Assert.True(loose.IsComplete);
        Assert.False(new JsonSchemaCursor(CompiledJsonSchema.Compile(schema, strict: false)).Feed("""{"a": "x"""u8));
        Assert.False(new JsonSchemaCursor(CompiledJsonSchema.Compile(schema, strict: true)).Feed("""{"z"""u8));
    }

    [Fact]
    public void A_top_level_integer_may_end_but_may_also_grow()
    {
        var cursor = new JsonSchemaCursor(CompiledJsonSchema.Compile("""{"type": "integer"}"""));
        Assert.False(cursor.CanEnd);
        Assert.True(cursor.Feed("-12"u8));
        Assert.True(cursor.CanEnd);
        Assert.False(cursor.IsComplete);
        Assert.False(cursor.Feed((byte)' '));
    }

    [Fact]
    public void A_top_level_enum_string_is_complete_at_its_closing_quote()
    {
        var cursor = new JsonSchemaCursor(CompiledJsonSchema.Compile("""{"enum": ["yes", "no"]}"""));
        Assert.True(cursor.Feed("\"ye"u8));
        Assert.False(cursor.CanEnd);
        Assert.True(cursor.Feed((byte)'s'));
        Assert.True(cursor.Feed((byte)'"'));
        Assert.True(cursor.IsComplete);
    }

    [Fact]
    public void An_object_closes_only_when_every_required_key_appeared_in_any_order()
    {
        var compiled = CompiledJsonSchema.Compile(Pet);
        var closed = new JsonSchemaCursor(compiled);
        Assert.True(closed.Feed("""{"kind": "dog", "age": 0, "name": "x"}"""u8));
        Assert.True(closed.IsComplete);

        var open = new JsonSchemaCursor(compiled);
        Assert.True(open.Feed("""{"kind": "dog", "name": "x" """u8));
        Assert.False(open.Feed((byte)'}'));
    }

    [Fact]
    public void After_every_listed_key_appeared_no_comma_is_accepted()
    {
        var cursor = new JsonSchemaCursor(CompiledJsonSchema.Compile("""{"type": "object", "properties": {"a": {"type": "null"}}, "additionalProperties": false}"""));
        Assert.True(cursor.Feed("""{"a": null"""u8));
        Assert.False(cursor.Feed((byte)','));
    }
}
