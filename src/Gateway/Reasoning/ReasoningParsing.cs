using InferMesh.Contracts;

namespace InferMesh.Gateway.Reasoning;

/// <summary>
/// The <see cref="GatewayOptions.ReasoningParser"/> setting: "auto" lets the model's chat template decide (the session
/// grain reads it, since the gateway does not load models); any other value is sent with each turn and wins.
/// </summary>
public static class ReasoningParsing
{
    /// <summary>The settings <see cref="GatewayOptions.ReasoningParser"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Settings = ["auto", ReasoningFormats.DeepSeekR1, ReasoningFormats.Qwen3, ReasoningFormats.None];

    /// <summary>The format a setting forces; null for "auto" (the template decides).</summary>
    public static string? ForcedFormat(string setting) => setting == "auto" ? null : setting;
}
