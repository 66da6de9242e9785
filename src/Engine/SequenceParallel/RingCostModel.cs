namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Predicts sequence-parallel prefill time from measured per-token linear time, attention throughput and link
/// bandwidth. Assumptions, each stated so a measurement can replace it:
/// <list type="bullet">
/// <item>Zig-zag split: each member holds R = L/N tokens; with the causal mask every (query block, key block) pair of
/// members has exactly R²/2 visible pairs (a member's early chunk sees every earlier chunk, its late chunk every earlier
/// one and itself by half), so every step costs every member the same attention time R²/2 · 4·d·H / F.</item>
/// <item>Devices sit on a switch (NVSwitch on H100/H200 HGX nodes): each has the link bandwidth out and in at once, to
/// any peer, so a step's transfer takes (bytes a member sends in it) / bandwidth and overlaps the step's compute.
/// TokenRing sends per step a query block (R·H·d) and a partial result (R·H·d + R·H fp32 LSE); the one-way ring sends
/// a K and a V block (2·R·Hkv·d). With grouped-query attention (H &gt; Hkv) TokenRing moves more bytes.</item>
/// <item>Per layer: linear work R·t_lin, the local block, then N−1 steps of max(attention, transfer); TokenRing also
/// waits for the last partial result to come back (one exposed transfer of out + LSE).</item>
/// <item>Without step measurements, attention throughput does not change with block size (the measured kernel is at
/// 8192 rows; smaller blocks are likely slower, larger ones not faster). With them (<see cref="RingCostInputs.Steps"/>),
/// the time per visible pair and the linear time per token at R rows are interpolated in log R between the measured
/// split sizes and held at the nearest one outside them; one device is read at its prompt length.</item>
/// </list>
/// </summary>
public sealed class RingCostModel(RingCostInputs inputs)
{
    public RingCostInputs Inputs => inputs;

    /// <summary>One device, no ring: the baseline.</summary>
    public RingPrediction SingleDevice(long length)
    {
        double pairs = (double)length * (length + 1) / 2;
        double seconds = (length * LinearSecondsPerToken(length)) + (inputs.Layers * AttentionSeconds(pairs, length));
        return new RingPrediction(seconds, 0, 0, Fits(length));
    }

    public RingPrediction Predict(RingScheduleKind schedule, int members, long length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 2);
        double rows = (double)length / members;
        double stepAttention = AttentionSeconds(rows * rows / 2, rows);
        double queryBytes = rows * inputs.Heads * inputs.HeadDim * inputs.ActivationBytes;
        double partialBytes = queryBytes + (rows * inputs.Heads * sizeof(float));
        double kvBytes = 2 * rows * inputs.KvHeads * inputs.HeadDim * inputs.ActivationBytes;
        double stepBytes = schedule == RingScheduleKind.TokenRing ? queryBytes + partialBytes : kvBytes;
        double stepTransfer = stepBytes / inputs.LinkBytesPerSecond;
        double tail = schedule == RingScheduleKind.TokenRing ? partialBytes / inputs.LinkBytesPerSecond : 0;

        double exposedPerLayer = ((members - 1) * Math.Max(0, stepTransfer - stepAttention)) + tail;
        double layer = (rows * LinearSecondsPerToken(rows) / inputs.Layers) + stepAttention + ((members - 1) * Math.Max(stepAttention, stepTransfer)) + tail;
        return new RingPrediction(inputs.Layers * layer, inputs.Layers * exposedPerLayer, inputs.Layers * (members - 1) * stepBytes, Fits((long)Math.Ceiling(rows)));
    }

    /// <summary>KV bytes of <paramref name="tokens"/> tokens over all layers.</summary>
    public double KvBytes(long tokens) => 2.0 * tokens * inputs.Layers * inputs.KvHeads * inputs.HeadDim * inputs.ActivationBytes;

    /// <summary>Effective attention throughput at <paramref name="rows"/> tokens per member, FLOP/s (4·d·H per visible pair).</summary>
    public double AttentionFlopsPerSecond(double rows) => 4.0 * inputs.HeadDim * inputs.Heads / SecondsPerPair(rows);

    /// <summary>Linear (non-attention) time per token at <paramref name="rows"/> tokens per member, all layers.</summary>
    public double LinearSecondsPerToken(double rows) =>
        inputs.Steps.Count == 0 ? inputs.LinearSecondsPerToken : Interpolate(rows, s => s.LinearSecondsPerToken);

    private double AttentionSeconds(double pairs, double rows) => pairs * SecondsPerPair(rows);

    private double SecondsPerPair(double rows) =>
        inputs.Steps.Count == 0 ? 4.0 * inputs.HeadDim * inputs.Heads / inputs.AttentionFlopsPerSecond : Interpolate(rows, s => s.AttentionStepSeconds / s.Pairs);

    /// <summary>A measured quantity at <paramref name="rows"/>: linear in log(rows) between measured sizes, held outside them.</summary>
    private double Interpolate(double rows, Func<RingStepMeasurement, double> value)
    {
        var steps = inputs.Steps.OrderBy(s => s.Rows).ToArray();
        if (rows <= steps[0].Rows)
        {
            return value(steps[0]);
        }

        for (var i = 1; i < steps.Length; i++)
        {
            if (rows <= steps[i].Rows)
            {
                double t = Math.Log(rows / steps[i - 1].Rows) / Math.Log((double)steps[i].Rows / steps[i - 1].Rows);
                return value(steps[i - 1]) + (t * (value(steps[i]) - value(steps[i - 1])));
            }
        }

        return value(steps[^1]);
    }

    private bool Fits(long tokens) => inputs.WeightBytes + KvBytes(tokens) <= inputs.DeviceMemoryBytes;
}
