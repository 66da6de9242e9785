namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Measured cost of one ring step at split size <paramref name="Rows"/> (tokens per member) on one device: what the
/// cost model uses in place of a single attention throughput and linear time when measurements exist.
/// </summary>
/// <param name="Rows">Tokens per member, R.</param>
/// <param name="AttentionStepSeconds">One layer's block attention of R zig-zag queries over another member's R keys (R²/2 visible pairs) plus the LSE merge.</param>
/// <param name="LinearSecondsPerToken">Everything but attention (norms, QKV/O projections, RoPE, MLP) at R rows, per token, all layers.</param>
public sealed record RingStepMeasurement(int Rows, double AttentionStepSeconds, double LinearSecondsPerToken)
{
    /// <summary>Visible query·key pairs of the measured step.</summary>
    public double Pairs => (double)Rows * Rows / 2;
}
