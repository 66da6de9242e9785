using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Verification;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>
/// Sequence-parallel prefill over N virtual devices (each its own CPU backend with its own copy of the weights) gives
/// the last-position logits of single-device prefill (TeacherForcing) within 1e-4, for both schedules, on golden
/// models including the sliding-window one, with prompt lengths that 2N does not divide.
/// </summary>
public sealed class RingPrefillTests
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<string, int, string> Cases()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var model in new[] { "tiny-llama", "tiny-qwen2", "tiny-mistral-sw8" })
        {
            foreach (var n in new[] { 2, 3, 4 })
            {
                foreach (var schedule in new[] { "tokenring", "one-way" })
                {
                    data.Add(model, n, schedule);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ring_prefill_matches_single_device_prefill(string model, int members, string schedule)
    {
        var dir = RepoPaths.Golden(model);
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        var reference = GoldenReference.Load(Path.Combine(dir, "reference.json"));
        using var store = WeightStore.Open(dir);
        var prompts = reference.Prompts.Where(p => p.Ids.Count >= 2 * members && p.Ids.Count % (2 * members) != 0).Take(2).ToArray();
        Assert.NotEmpty(prompts);

        var devices = new List<(IComputeBackend Backend, LlamaWeights Weights)>();
        try
        {
            for (var m = 0; m < members; m++)
            {
                var backend = ComputeDevices.Open("cpu", 1);
                devices.Add((backend, LlamaWeights.Load(backend, config, store)));
            }

            foreach (var p in prompts)
            {
                var ids = p.Ids.ToArray();
                float[] expected;
                using (var tf = new TeacherForcing(devices[0].Backend, devices[0].Weights, 64, 16, 2048))
                {
                    expected = tf.Run(ids).LastLogits;
                }

                IRingSchedule ring = schedule == "tokenring" ? new TokenRingSchedule() : new OneWayRingSchedule();
                using var prefill = new SequenceParallelPrefill(devices, ids, SequencePartition.ZigZag(ids.Length, members), ring);

                var actual = prefill.Run();

                var maxDelta = expected.Zip(actual, (a, b) => MathF.Abs(a - b)).Max();
                Assert.True(maxDelta <= Tolerance, $"{model}, {members} members, {schedule}, {ids.Length} tokens: max |Δlogit| {maxDelta} > {Tolerance}");
                Assert.True(prefill.Traffic.BytesSent > 0);
            }
        }
        finally
        {
            foreach (var (backend, weights) in devices)
            {
                weights.Dispose();
                backend.Dispose();
            }
        }
    }
}
