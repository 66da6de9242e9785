namespace InferMesh.Engine.Loading;

/// <summary>
/// Rotary-embedding parameters from config.json — the older top-level <c>rope_theta</c> + <c>rope_scaling</c>, or
/// transformers 5's <c>rope_parameters</c>. Field names follow transformers' modeling_rope_utils.py.
/// </summary>
public sealed record RopeScaling
{
    /// <summary>default, linear, dynamic, llama3, yarn or longrope.</summary>
    public string Type { get; init; } = "default";

    public double Theta { get; init; } = 10000;

    public double Factor { get; init; } = 1;

    public double LowFreqFactor { get; init; } = 1;

    public double HighFreqFactor { get; init; } = 4;

    public int? OriginalMaxPositionEmbeddings { get; init; }

    public double BetaFast { get; init; } = 32;

    public double BetaSlow { get; init; } = 1;

    public double? MScale { get; init; }

    public double? MScaleAllDim { get; init; }

    public double? AttentionFactor { get; init; }

    public bool Truncate { get; init; } = true;

    public double PartialRotaryFactor { get; init; } = 1;

    /// <summary>longrope: per-frequency divisors for sequences within original_max_position_embeddings.</summary>
    public IReadOnlyList<double> ShortFactor { get; init; } = [];

    /// <summary>longrope: per-frequency divisors for sequences longer than original_max_position_embeddings.</summary>
    public IReadOnlyList<double> LongFactor { get; init; } = [];
}
