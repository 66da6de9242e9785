using System.Text.Json.Serialization;

namespace InferMesh.Engine.Verification;

/// <summary>One prompt of a <see cref="GoldenReference"/>.</summary>
public sealed record GoldenPrompt
{
    [JsonPropertyName("text")]
    public string Text { get; init; } = "";

    [JsonPropertyName("ids")]
    public IReadOnlyList<int> Ids { get; init; } = [];

    [JsonPropertyName("last_logits")]
    public IReadOnlyList<float> LastLogits { get; init; } = [];

    [JsonPropertyName("argmax")]
    public IReadOnlyList<int> Argmax { get; init; } = [];

    [JsonPropertyName("greedy")]
    public IReadOnlyList<int> Greedy { get; init; } = [];
}
