using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// qwen3 (no transformers reference could be made for it here): a small random Qwen3 checkpoint run through the
/// engine's forward pass against <see cref="NaiveQwen3"/>, a float64 transcription of transformers' modeling_qwen3.py
/// (q_norm / k_norm over each head before RoPE, explicit head_dim unlike hidden/heads, GQA, tied embeddings).
/// </summary>
public sealed class Qwen3ForwardTests : IDisposable
{
    internal const int Hidden = 32, Heads = 4, KvHeads = 2, HeadDim = 16, Intermediate = 48, Layers = 2, Vocab = 96;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"infermesh-qwen3-{Guid.NewGuid():N}");

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(3)]
    public void Teacher_forced_logits_match_a_float64_transcription_of_transformers(int chunk)
    {
        var tensors = WriteCheckpoint(_folder, seed: 7);
        int[] ids = [3, 17, 90, 4, 4, 55, 12, 81, 33, 2, 60, 71, 9];
        var expected = NaiveQwen3.Logits(tensors, ids, Layers, Heads, KvHeads, HeadDim, 1e-6, 1_000_000.0);

        var config = ModelConfig.Load(Path.Combine(_folder, "config.json"));
        using var store = WeightStore.Open(_folder);
        using var backend = ComputeDevices.Open("cpu", 2);
        using var weights = LlamaWeights.Load(backend, config, store);
        using var tf = new TeacherForcing(backend, weights, chunk, 16, 256);
        var (argmax, last) = tf.Run(ids);

        Assert.True(config.QkNorm);
        var lastExpected = expected[^1];
        var maxDelta = last.Select((v, i) => Math.Abs(v - lastExpected[i])).Max();
        Assert.True(maxDelta < 1e-4, $"max |Δlogit| {maxDelta}");
        Assert.Equal(expected.Select(row => Array.IndexOf(row, row.Max())), argmax);
    }

    /// <summary>
    /// Phi-4-mini's rotary scheme on the same small model: longrope (per-frequency divisors, a short table within
    /// original_max_position_embeddings and a long one beyond, cos/sin times sqrt(1 + ln(factor)/ln(original))) with
    /// partial_rotary_factor 0.5, so half of each head rotates and half passes through. Weights served up to 8 tokens
    /// use the short table; up to 256, the long one (the naive forward computes each from the published formula).
    /// </summary>
    [Theory]
    [InlineData(8)]
    [InlineData(256)]
    public void Partial_rotary_longrope_logits_match_the_float64_transcription(int servedContext)
    {
        double[] shortFactor = [1.0, 1.5, 2.0, 4.0];
        double[] longFactor = [1.0, 3.0, 9.0, 27.0];
        var tensors = WriteCheckpoint(_folder, seed: 9, configure: c =>
        {
            c["partial_rotary_factor"] = 0.5;
            c["original_max_position_embeddings"] = 8;
            c["rope_scaling"] = new JsonObject { ["type"] = "longrope", ["short_factor"] = new JsonArray([.. shortFactor.Select(f => (JsonNode)f)]), ["long_factor"] = new JsonArray([.. longFactor.Select(f => (JsonNode)f)]) };
        });
        int[] ids = [3, 17, 90, 4, 4, 55, 12, 81];
        var factors = servedContext > 8 ? longFactor : shortFactor;
        var invFreq = factors.Select((f, i) => 1 / (f * Math.Pow(1_000_000.0, 2.0 * i / 8))).ToArray(); // rotary dimension 8 of 16
        var expected = NaiveQwen3.Logits(tensors, ids, Layers, Heads, KvHeads, HeadDim, 1e-6, 1_000_000.0, invFreq, Math.Sqrt(1 + (Math.Log(256.0 / 8) / Math.Log(8))));

        TeacherForcedCheck.AssertMatches(_folder, ids, expected, chunk: 3, rotaryContextLength: servedContext);
    }

    [Fact]
    public void A_qwen3_checkpoint_without_k_norm_is_refused_by_name()
    {
        WriteCheckpoint(_folder, seed: 8, dropKNorm: true);

        var error = Assert.ThrowsAny<Exception>(() => InferenceEngine.Load(_folder, new EngineOptions { Threads = 1 }));
        Assert.Contains("model.layers.0.self_attn.k_norm.weight", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Writes config.json, model.safetensors (fp32) and the golden tokenizer; returns the tensors by name.</summary>
    internal static Dictionary<string, (float[] Data, long[] Shape)> WriteCheckpoint(string folder, int seed, bool dropKNorm = false, Action<JsonObject>? configure = null, bool qkNorm = true)
    {
        var checkpoint = new RandomCheckpointTensors(seed);
        var tensors = checkpoint.Tensors;

        checkpoint.Add("model.embed_tokens.weight", [Vocab, Hidden], 1.0);
        for (var l = 0; l < Layers; l++)
        {
            var p = $"model.layers.{l}.";
            checkpoint.Add(p + "input_layernorm.weight", [Hidden], 0.2, 1);
            checkpoint.Add(p + "self_attn.q_proj.weight", [Heads * HeadDim, Hidden], 0.3);
            checkpoint.Add(p + "self_attn.k_proj.weight", [KvHeads * HeadDim, Hidden], 0.3);
            checkpoint.Add(p + "self_attn.v_proj.weight", [KvHeads * HeadDim, Hidden], 0.3);
            if (qkNorm)
            {
                checkpoint.Add(p + "self_attn.q_norm.weight", [HeadDim], 0.5, 1);
            }

            if (qkNorm && !dropKNorm)
            {
                checkpoint.Add(p + "self_attn.k_norm.weight", [HeadDim], 0.5, 1);
            }

            checkpoint.Add(p + "self_attn.o_proj.weight", [Hidden, Heads * HeadDim], 0.3);
            checkpoint.Add(p + "post_attention_layernorm.weight", [Hidden], 0.2, 1);
            checkpoint.Add(p + "mlp.gate_proj.weight", [Intermediate, Hidden], 0.3);
            checkpoint.Add(p + "mlp.up_proj.weight", [Intermediate, Hidden], 0.3);
            checkpoint.Add(p + "mlp.down_proj.weight", [Hidden, Intermediate], 0.3);
        }

        checkpoint.Add("model.norm.weight", [Hidden], 0.2, 1);
        checkpoint.Write(folder);
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("Qwen3ForCausalLM"),
            ["model_type"] = "qwen3",
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["head_dim"] = HeadDim,
            ["vocab_size"] = Vocab,
            ["rms_norm_eps"] = 1e-6,
            ["rope_theta"] = 1_000_000.0,
            ["max_position_embeddings"] = 256,
            ["tie_word_embeddings"] = true,
            ["attention_bias"] = false,
            ["use_sliding_window"] = false,
            ["hidden_act"] = "silu",
            ["torch_dtype"] = "float32",
            ["eos_token_id"] = 2,
        };
        configure?.Invoke(config);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        return tensors;
    }
}
