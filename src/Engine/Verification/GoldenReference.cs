using System.Text.Json;
using System.Text.Json.Serialization;

namespace InferMesh.Engine.Verification;

/// <summary>
/// A model folder's reference.json as written by the golden script (transformers, float32): per prompt its token
/// ids, the logits of the last position, the argmax at every position and a greedy continuation.
/// </summary>
public sealed record GoldenReference
{
    [JsonPropertyName("model")]
    public string Model { get; init; } = "";

    [JsonPropertyName("dtype")]
    public string DType { get; init; } = "";

    [JsonPropertyName("prompts")]
    public IReadOnlyList<GoldenPrompt> Prompts { get; init; } = [];

    [JsonPropertyName("chat_template_render")]
    public string? ChatTemplateRender { get; init; }

    public static GoldenReference Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no reference.json; `infermesh check` needs one in the golden format (see tools/ or tests/fixtures/golden).", path);
        }

        try
        {
            return JsonSerializer.Deserialize<GoldenReference>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path}: empty reference file.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid reference.json ({e.Message}).", e);
        }
    }
}
