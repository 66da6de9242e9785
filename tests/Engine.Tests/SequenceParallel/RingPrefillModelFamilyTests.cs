using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Engine.Tests.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>
/// TokenRing prefill runs every model family the engine runs — the ring members share the engine's
/// <see cref="DecoderBlocks"/> — and gives single-device prefill's last-position logits: Gemma 2 (sandwich norms,
/// GELU, soft caps, scaled embeddings), Gemma 3 (q/k norms, local and global rope), SmolLM3 (a NoPE layer), Granite
/// (four scalars) and a qwen3 mixture of experts.
/// </summary>
public sealed class RingPrefillModelFamilyTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"infermesh-ring-family-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData("gemma2")]
    [InlineData("gemma3_text")]
    [InlineData("smollm3")]
    [InlineData("granite")]
    [InlineData("qwen3_moe")]
    public void Ring_prefill_of_a_model_family_matches_single_device_prefill(string family)
    {
        Write(family);
        var config = ModelConfig.Load(Path.Combine(_folder, "config.json"));
        using var store = WeightStore.Open(_folder);
        int[] ids = [3, 17, 90, 4, 4, 55, 12, 81, 33, 2, 60, 71, 9, 40, 41];
        var devices = new List<(IComputeBackend Backend, LlamaWeights Weights)>();
        try
        {
            for (var m = 0; m < 3; m++)
            {
                var backend = ComputeDevices.Open("cpu", 1);
                devices.Add((backend, LlamaWeights.Load(backend, config, store)));
            }

            float[] expected;
            using (var tf = new TeacherForcing(devices[0].Backend, devices[0].Weights, 64, 16, 64))
            {
                expected = tf.Run(ids).LastLogits;
            }

            using var prefill = new SequenceParallelPrefill(devices, ids, SequencePartition.ZigZag(ids.Length, 3), new TokenRingSchedule());
            var actual = prefill.Run();

            var maxDelta = expected.Zip(actual, (a, b) => MathF.Abs(a - b)).Max();
            Assert.True(maxDelta <= 1e-4f, $"{family}: max |Δlogit| {maxDelta}");
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

    private void Write(string family)
    {
        switch (family)
        {
            case "gemma2":
            {
                var config = GemmaCheckpoint.TextConfig("gemma2", 4);
                config["query_pre_attn_scalar"] = 24;
                config["sliding_window"] = 4;
                config["attn_logit_softcapping"] = 1.5;
                config["final_logit_softcapping"] = 2.0;
                GemmaCheckpoint.Write(_folder, 2, 4, config, seed: 51);
                break;
            }

            case "gemma3_text":
            {
                var config = GemmaCheckpoint.TextConfig("gemma3_text", 4);
                config["query_pre_attn_scalar"] = 24;
                config["sliding_window"] = 4;
                config["sliding_window_pattern"] = 2;
                config["rope_theta"] = 1_000_000.0;
                config["rope_local_base_freq"] = 10_000.0;
                GemmaCheckpoint.Write(_folder, 3, 4, config, seed: 52);
                break;
            }

            case "smollm3":
                Qwen3ForwardTests.WriteCheckpoint(_folder, seed: 53, qkNorm: false, configure: c =>
                {
                    c["model_type"] = "smollm3";
                    c["no_rope_layers"] = new JsonArray(1, 0);
                });
                break;
            case "granite":
                Qwen3ForwardTests.WriteCheckpoint(_folder, seed: 54, qkNorm: false, configure: c =>
                {
                    c["model_type"] = "granite";
                    c["embedding_multiplier"] = 12.0;
                    c["attention_multiplier"] = 0.015625;
                    c["residual_multiplier"] = 0.22;
                    c["logits_scaling"] = 8.0;
                });
                break;
            default:
                MixtureOfExpertsForwardTests.Write(_folder, "qwen3_moe", seed: 55, c => c["norm_topk_prob"] = true);
                break;
        }
    }
}
