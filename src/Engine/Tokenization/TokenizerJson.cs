using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>Reads fields of tokenizer.json / tokenizer_config.json with errors that name the file and the field.</summary>
internal static class TokenizerJson
{
    public static JsonDocument Parse(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tokenizer file not found: {path}. Point --model at a folder with tokenizer.json.", path);
        }

        try
        {
            using FileStream stream = File.OpenRead(path);
            return JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(
                $"{path} is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}", ex);
        }
    }

    public static string RequiredString(JsonElement node, string name, string path, string what)
    {
        if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out JsonElement value) &&
            value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        throw new InvalidDataException($"{path}: {what} needs a string field \"{name}\".");
    }

    public static JsonElement RequiredObject(JsonElement node, string name, string path, string what)
    {
        if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out JsonElement value) &&
            value.ValueKind == JsonValueKind.Object)
        {
            return value;
        }

        throw new InvalidDataException($"{path}: {what} needs an object field \"{name}\".");
    }

    public static JsonElement.ArrayEnumerator RequiredArray(JsonElement node, string name, string path, string what)
    {
        if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out JsonElement value) &&
            value.ValueKind == JsonValueKind.Array)
        {
            return value.EnumerateArray();
        }

        throw new InvalidDataException($"{path}: {what} needs an array field \"{name}\".");
    }

    public static int RequiredInt(JsonElement node, string name, string path, string what)
    {
        if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out JsonElement value) &&
            value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number))
        {
            return number;
        }

        throw new InvalidDataException($"{path}: {what} needs an integer field \"{name}\".");
    }

    public static bool OptionalBool(JsonElement node, string name, bool fallback) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out JsonElement value) &&
        value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : fallback;

    /// <summary>The node's field, or an element of kind Null when it is absent.</summary>
    public static JsonElement OptionalNode(JsonElement node, string name) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out JsonElement value) ? value : NullElement;

    private static readonly JsonElement NullElement = JsonDocument.Parse("null").RootElement.Clone();
}
