using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>
/// What each schedule puts on the wire, counted by the transport, against the count from the algorithm's definition
/// (fp32 elements on the CPU backend, I32 positions): TokenRing moves query blocks forward and partial out + LSE
/// back, the one-way ring moves K, V and key positions; both N−1 steps per layer. Also the after-prefill state:
/// every member holds the keys of exactly its own positions.
/// </summary>
public sealed class RingTrafficTests
{
    private const int Members = 3;

    [Theory]
    [InlineData(RingScheduleKind.TokenRing)]
    [InlineData(RingScheduleKind.OneWayRing)]
    public void Transport_counts_the_bytes_the_schedule_defines(RingScheduleKind kind)
    {
        var (config, ids, devices) = Load("tiny-llama", 100);
        try
        {
            var partition = SequencePartition.ZigZag(ids.Length, Members);
            using var prefill = new SequenceParallelPrefill(devices, ids, partition, kind == RingScheduleKind.TokenRing ? new TokenRingSchedule() : new OneWayRingSchedule());

            prefill.Run();

            long q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim, h = config.NumAttentionHeads;
            long perToken = kind == RingScheduleKind.TokenRing
                ? 4 * (q + 1 + q + h)   // query row + position forward, out row + LSE row back
                : 4 * (kv + kv + 1);   // key row + value row + position
            // Every member's block visits the N−1 other members once per layer.
            long expected = config.NumHiddenLayers * (Members - 1) * ids.Length * perToken;
            Assert.Equal(expected, prefill.Traffic.BytesSent);
            Assert.Equal(expected, prefill.Traffic.BytesReceived);
            int transfersPerBlock = kind == RingScheduleKind.TokenRing ? 4 : 3;
            Assert.Equal(config.NumHiddenLayers * (Members - 1) * Members * transfersPerBlock, prefill.Traffic.MessagesSent);
        }
        finally
        {
            Release(devices);
        }
    }

    [Theory]
    [InlineData(RingScheduleKind.TokenRing)]
    [InlineData(RingScheduleKind.OneWayRing)]
    public void Zig_zag_members_compute_all_causal_score_pairs_in_shares_within_5_percent(RingScheduleKind kind)
    {
        var (config, ids, devices) = Load("tiny-llama", 1181);
        try
        {
            var partition = SequencePartition.ZigZag(ids.Length, Members);
            using var prefill = new SequenceParallelPrefill(devices, ids, partition, kind == RingScheduleKind.TokenRing ? new TokenRingSchedule() : new OneWayRingSchedule());

            prefill.Run();

            var work = prefill.Members.Select(m => m.ScorePairsComputed).ToArray();
            Assert.Equal(config.NumHiddenLayers * ((long)ids.Length * (ids.Length + 1) / 2), work.Sum());
            Assert.True(work.Max() <= 1.05 * work.Min(), $"score pairs per member: {string.Join(", ", work)}");
        }
        finally
        {
            Release(devices);
        }
    }

    [Fact]
    public void After_prefill_each_member_holds_the_keys_of_its_own_positions()
    {
        var (_, ids, devices) = Load("tiny-qwen2", 50);
        try
        {
            var partition = SequencePartition.ZigZag(ids.Length, Members);
            using var prefill = new SequenceParallelPrefill(devices, ids, partition, new TokenRingSchedule());
            prefill.Run();

            // The single-device reference: the whole prompt on one member's backend, its layer-0 keys by position.
            var whole = SequencePartition.ZigZag(ids.Length, 1);
            using var single = new SequenceParallelPrefill([devices[0]], ids, whole, new TokenRingSchedule());
            single.Run();
            var reference = Floats(single.Members[0].Backend, single.Members[0].Keys(1));
            var width = single.Members[0].Keys(1).Cols;
            foreach (var m in prefill.Members)
            {
                var keys = Floats(m.Backend, m.Keys(1));
                for (var r = 0; r < m.Rows; r++)
                {
                    var p = m.PositionList[r];
                    for (var c = 0; c < width; c++)
                    {
                        Assert.True(MathF.Abs(reference[(p * width) + c] - keys[(r * width) + c]) <= 1e-4f, $"member {m.Index} row {r} (position {p}) column {c}");
                    }
                }
            }
        }
        finally
        {
            Release(devices);
        }
    }

    private static float[] Floats(IComputeBackend backend, DeviceTensor t)
    {
        var data = new float[t.ElementCount];
        backend.Download(t, data);
        return data;
    }

    private static (ModelConfig Config, int[] Ids, List<(IComputeBackend Backend, LlamaWeights Weights)> Devices) Load(string model, int tokens)
    {
        var dir = RepoPaths.Golden(model);
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        var ids = Verification.GoldenReference.Load(Path.Combine(dir, "reference.json")).Prompts[0].Ids.Take(tokens).ToArray();
        using var store = WeightStore.Open(dir);
        var devices = new List<(IComputeBackend, LlamaWeights)>();
        for (var m = 0; m < Members; m++)
        {
            var backend = ComputeDevices.Open("cpu", 1);
            devices.Add((backend, LlamaWeights.Load(backend, config, store)));
        }

        return (config, ids, devices);
    }

    private static void Release(List<(IComputeBackend Backend, LlamaWeights Weights)> devices)
    {
        foreach (var (backend, weights) in devices)
        {
            weights.Dispose();
            backend.Dispose();
        }
    }
}
