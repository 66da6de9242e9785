using InferMesh.Engine.SequenceParallel;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>The cost model's assumptions checked against the partition it models and against its own inputs.</summary>
public sealed class RingCostModelTests
{
    private static readonly RingCostInputs Inputs = new("test", 32, 32, 8, 128, 20e-6, 65e12, 450e9, 2, 141e9, 16e9);

    [Theory]
    [InlineData(64, 4)]
    [InlineData(96, 3)]
    public void Every_block_pair_of_a_zig_zag_split_has_half_its_score_pairs_visible(int length, int members)
    {
        // The model charges R²/2 visible pairs for every (query member, key member) step: count them by brute force.
        var partition = SequencePartition.ZigZag(length, members);
        var rows = length / members;
        for (var i = 0; i < members; i++)
        {
            for (var j = 0; j < members; j++)
            {
                var visible = partition.Positions(i).Sum(q => partition.Positions(j).Count(k => k <= q));
                var expected = i == j ? (rows * rows / 2) + (rows / 2) : rows * rows / 2; // the diagonal adds half the self pairs
                Assert.Equal(expected, visible);
            }
        }
    }

    [Fact]
    public void One_device_time_is_linear_time_plus_causal_attention_flops_over_throughput()
    {
        var model = new RingCostModel(Inputs);
        const long L = 8192;
        var expected = (L * 20e-6) + (32 * (L * (L + 1) / 2.0) * 4 * 128 * 32 / 65e12);

        Assert.Equal(expected, model.SingleDevice(L).Seconds, 9);
    }

    [Fact]
    public void With_grouped_query_attention_TokenRing_sends_four_times_the_bytes_of_the_one_way_ring_plus_lse()
    {
        var model = new RingCostModel(Inputs);

        var tokenRing = model.Predict(RingScheduleKind.TokenRing, 4, 65536).BytesSentPerMember;
        var oneWay = model.Predict(RingScheduleKind.OneWayRing, 4, 65536).BytesSentPerMember;

        // Per token: Q + out = 2·32·128 bf16 (+32 fp32 LSE) against K + V = 2·8·128 bf16.
        Assert.Equal(((2.0 * 32 * 128 * 2) + (32 * 4)) / (2.0 * 8 * 128 * 2), tokenRing / oneWay, 9);
    }

    [Fact]
    public void A_slow_link_exposes_transfer_time_and_a_fast_one_hides_it()
    {
        var slow = new RingCostModel(Inputs with { LinkBytesPerSecond = 1e9 }).Predict(RingScheduleKind.OneWayRing, 8, 32768);
        var fast = new RingCostModel(Inputs).Predict(RingScheduleKind.OneWayRing, 8, 32768);

        Assert.True(slow.ExposedTransferSeconds > 0);
        Assert.Equal(0, fast.ExposedTransferSeconds);
    }

    [Fact]
    public void Measured_steps_replace_the_constant_throughputs_at_their_split_size()
    {
        var measured = Inputs with { Steps = [new RingStepMeasurement(8192, 0.25, 10e-6)] };
        var model = new RingCostModel(measured);

        var prediction = model.Predict(RingScheduleKind.OneWayRing, 2, 16384);

        // Per layer: linear work of 8192 tokens, the local block, one step; the link (450 GB/s) hides the K/V transfer.
        Assert.Equal(32 * ((8192 * 10e-6 / 32) + 0.25 + 0.25), prediction.Seconds, 9);
        Assert.Equal(4.0 * 128 * 32 / (0.25 / (8192.0 * 8192 / 2)), model.AttentionFlopsPerSecond(8192), 3);
    }

    [Fact]
    public void Between_measured_split_sizes_the_model_interpolates_in_log_rows_and_holds_outside_them()
    {
        var model = new RingCostModel(Inputs with { Steps = [new RingStepMeasurement(4000, 1, 30e-6), new RingStepMeasurement(1000, 1, 10e-6)] });

        Assert.Equal(20e-6, model.LinearSecondsPerToken(2000), 12);
        Assert.Equal(10e-6, model.LinearSecondsPerToken(10), 12);
        Assert.Equal(30e-6, model.LinearSecondsPerToken(1e6), 12);
    }
}
