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
/// <item>Attention throughput does not change with block size (the measured kernel is at 8192 rows; smaller blocks
/// are likely slower, larger ones not faster).</item>
/// </list>
/// </summary>
public sealed class RingCostModel(RingCostInputs inputs)
{
    public RingCostInputs Inputs => inputs;

    /// <summary>One device, no ring: the baseline.</summary>
    public RingPrediction SingleDevice(long length)
    {
        double pairs = (double)length * (length + 1) / 2;
        double seconds = (length * inputs.LinearSecondsPerToken) + (inputs.Layers * AttentionSeconds(pairs));
        return new RingPrediction(seconds, 0, 0, Fits(length));
    }

    public RingPrediction Predict(RingScheduleKind schedule, int members, long length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 2);
        double rows = (double)length / members;
        double stepAttention = AttentionSeconds(rows * rows / 2);
        double queryBytes = rows * inputs.Heads * inputs.HeadDim * inputs.ActivationBytes;
        double partialBytes = queryBytes + (rows * inputs.Heads * sizeof(float));
        double kvBytes = 2 * rows * inputs.KvHeads * inputs.HeadDim * inputs.ActivationBytes;
        double stepBytes = schedule == RingScheduleKind.TokenRing ? queryBytes + partialBytes : kvBytes;
        double stepTransfer = stepBytes / inputs.LinkBytesPerSecond;
        double tail = schedule == RingScheduleKind.TokenRing ? partialBytes / inputs.LinkBytesPerSecond : 0;

        double exposedPerLayer = ((members - 1) * Math.Max(0, stepTransfer - stepAttention)) + tail;
        double layer = (rows * inputs.LinearSecondsPerToken / inputs.Layers) + stepAttention + ((members - 1) * Math.Max(stepAttention, stepTransfer)) + tail;
        return new RingPrediction(inputs.Layers * layer, inputs.Layers * exposedPerLayer, inputs.Layers * (members - 1) * stepBytes, Fits((long)Math.Ceiling(rows)));
    }

    /// <summary>KV bytes of <paramref name="tokens"/> tokens over all layers.</summary>
    public double KvBytes(long tokens) => 2.0 * tokens * inputs.Layers * inputs.KvHeads * inputs.HeadDim * inputs.ActivationBytes;

    private double AttentionSeconds(double pairs) => pairs * 4.0 * inputs.HeadDim * inputs.Heads / inputs.AttentionFlopsPerSecond;

    private bool Fits(long tokens) => inputs.WeightBytes + KvBytes(tokens) <= inputs.DeviceMemoryBytes;
}
