using System.Text.Json;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// A JSON Schema (OpenAI's <c>response_format: {"type": "json_schema"}</c>) checked and compiled for
/// <see cref="JsonSchemaCursor"/>. Supported: <c>type</c> (a name or a list), <c>properties</c>, <c>required</c>,
/// <c>additionalProperties</c> (false, true or a schema; absent means false in strict mode, as OpenAI's strict mode
/// requires it, and any extra key otherwise), <c>items</c>, <c>minItems</c>/<c>maxItems</c>, <c>enum</c> and
/// <c>const</c> of strings, numbers, booleans and null, <c>anyOf</c>, and <c>$ref</c> to <c>#/$defs/…</c> or
/// <c>#/definitions/…</c> (recursive ones included). Annotations (title, description, default, examples, $schema,
/// $id, $comment) are ignored; any other keyword is refused, naming it, rather than silently not enforced.
/// Immutable: one compiled schema may serve any number of cursors. Compile once per request.
/// </summary>
public sealed class CompiledJsonSchema
{
    /// <summary>The request field a refusal names (the parameter of the <see cref="ArgumentException"/>).</summary>
    public const string Param = "response_format.json_schema.schema";

    private CompiledJsonSchema(JsonSchemaNode[] nodes, int root)
    {
        Nodes = nodes;
        Root = root;
    }

    internal JsonSchemaNode[] Nodes { get; }

    internal int Root { get; }

    /// <summary>Compiles a schema given as JSON text.</summary>
    /// <param name="schemaJson">The schema document (an object).</param>
    /// <param name="strict">OpenAI's <c>strict</c>: object schemas that do not mention additionalProperties allow no extra keys.</param>
    /// <param name="lenient">
    /// Ignore keywords that only narrow which values are valid (format, pattern, minimum, maximum, minLength,
    /// maxLength, multipleOf, minProperties, maxProperties, uniqueItems, ...) instead of refusing them: for function
    /// tools' parameters schemas, where an argument outside such a bound is the model's error, not the client's.
    /// Structural keywords the cursor cannot follow (oneOf, allOf, not, if/then, non-local $ref, ...) are refused either way.
    /// </param>
    /// <exception cref="ArgumentException">The text is not JSON, or the schema is malformed, unsatisfiable or uses unsupported keywords; the message says which and where.</exception>
    public static CompiledJsonSchema Compile(string schemaJson, bool strict = true, bool lenient = false)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(schemaJson, new JsonDocumentOptions { MaxDepth = 2 * JsonSchemaCompiler.MaxNesting + 8 });
        }
        catch (JsonException e)
        {
            throw JsonSchemaCompiler.Refuse($"not valid JSON ({e.Message}).");
        }

        using (document)
        {
            try
            {
                var (nodes, root) = JsonSchemaCompiler.Compile(document.RootElement, strict, lenient);
                return new CompiledJsonSchema(nodes, root);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json parses a lone surrogate escape ("\ud800") but cannot read it as a string.
                throw JsonSchemaCompiler.Refuse($"a string or key in the schema is not valid Unicode ({e.Message}).");
            }
        }
    }
}
