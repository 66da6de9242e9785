using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// Mixture-of-experts models (mixtral, qwen2_moe, qwen3_moe; no transformers reference can be made here): small random
/// checkpoints run through the engine against <see cref="NaiveQwen3"/>'s float64 transcription of transformers'
/// sparse MoE blocks (softmax router, top-k, optional renormalisation, qwen2_moe's sigmoid-gated shared expert).
/// </summary>
public sealed class MixtureOfExpertsForwardTests : IDisposable
{
    private const int Hidden = 32, Heads = 4, KvHeads = 2, HeadDim = 8, Dense = 40, Expert = 24, Shared = 36, Experts = 4, TopK = 2, Layers = 2, Vocab = 96;
    private static readonly int[] Ids = [3, 17, 90, 4, 4, 55, 12, 81, 33, 2, 60];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"infermesh-moe-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Qwen3_moe_with_renormalised_top_k_and_a_dense_layer_matches_the_float64_transcription()
    {
        var tensors = WriteCheckpoint("qwen3_moe", seed: 21, c =>
        {
            c["norm_topk_prob"] = true;
            c["mlp_only_layers"] = new JsonArray(1);
        });

        AssertMatchesNaive(tensors, normalizeTopK: true, chunk: 4);
    }

    [Fact]
    public void Qwen2_moe_with_qkv_bias_and_a_gated_shared_expert_matches_the_float64_transcription()
    {
        var tensors = WriteCheckpoint("qwen2_moe", seed: 22, c => c["norm_topk_prob"] = false);

        AssertMatchesNaive(tensors, normalizeTopK: false, chunk: 64);
    }

    [Fact]
    public void Mixtral_routes_through_block_sparse_moe_and_always_renormalises()
    {
        var tensors = WriteCheckpoint("mixtral", seed: 23);

        // The same math as qwen's names: w1 = gate_proj, w3 = up_proj, w2 = down_proj, block_sparse_moe = mlp.
        var renamed = tensors.ToDictionary(
            kv => kv.Key.Replace("block_sparse_moe.", "mlp.", StringComparison.Ordinal).Replace(".w1.", ".gate_proj.", StringComparison.Ordinal)
                .Replace(".w3.", ".up_proj.", StringComparison.Ordinal).Replace(".w2.", ".down_proj.", StringComparison.Ordinal),
            kv => kv.Value);
        AssertMatchesNaive(renamed, normalizeTopK: true, chunk: 5);
    }

    [Fact]
    public async Task An_expert_model_generates_through_the_engine_like_teacher_forcing_predicts()
    {
        var tensors = WriteCheckpoint("qwen3_moe", seed: 24, c => c["norm_topk_prob"] = true);
        var expected = NaiveQwen3.Logits(tensors, Ids, Layers, Heads, KvHeads, HeadDim, 1e-6, 10_000.0, topK: TopK, normalizeTopK: true);

        await using var engine = InferenceEngine.Load(_folder, new EngineOptions { Threads = 2 });
        var (tokens, _) = await Serving.EngineTestRuns.RunAsync(engine, new GenerationRequest { PromptTokenIds = Ids, MaxTokens = 1, IgnoreEos = true }, TestContext.Current.CancellationToken);

        Assert.Equal(Array.IndexOf(expected[^1], expected[^1].Max()), tokens.Single());
    }

    [Fact]
    public void Experts_stored_fused_are_refused_with_what_to_do()
    {
        var tensors = WriteCheckpoint("qwen3_moe", seed: 25, fuseExperts: true);

        var error = Assert.Throws<ModelLoadException>(() => InferenceEngine.Load(_folder, new EngineOptions { Threads = 1 }));
        Assert.Contains("experts.gate_up_proj", error.Message, StringComparison.Ordinal);
        Assert.Contains("per-expert", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(tensors);
    }

    private void AssertMatchesNaive(Dictionary<string, (float[] Data, long[] Shape)> tensors, bool normalizeTopK, int chunk)
    {
        var expected = NaiveQwen3.Logits(tensors, Ids, Layers, Heads, KvHeads, HeadDim, 1e-6, 10_000.0, topK: TopK, normalizeTopK: normalizeTopK);

        Assert.NotNull(ModelConfig.Load(Path.Combine(_folder, "config.json")).Experts);
        TeacherForcedCheck.AssertMatches(_folder, Ids, expected, chunk);
    }

    /// <summary>Writes config.json, model.safetensors (fp32) and the golden tokenizer; returns the tensors by name.</summary>
    private Dictionary<string, (float[] Data, long[] Shape)> WriteCheckpoint(string type, int seed, Action<JsonObject>? configure = null, bool fuseExperts = false) =>
        Write(_folder, type, seed, configure, fuseExperts);

    /// <summary>A tiny random mixtral / qwen2_moe / qwen3_moe checkpoint in <paramref name="folder"/>; returns its tensors by name.</summary>
    internal static Dictionary<string, (float[] Data, long[] Shape)> Write(string folder, string type, int seed, Action<JsonObject>? configure = null, bool fuseExperts = false)
    {
        var checkpoint = new RandomCheckpointTensors(seed);
        var tensors = checkpoint.Tensors;

        void AddMlp(string prefix, int inter, string gate = "gate_proj", string up = "up_proj", string down = "down_proj")
        {
            checkpoint.Add($"{prefix}{gate}.weight", [inter, Hidden], 0.3);
            checkpoint.Add($"{prefix}{up}.weight", [inter, Hidden], 0.3);
            checkpoint.Add($"{prefix}{down}.weight", [Hidden, inter], 0.3);
        }

        var mixtral = type == "mixtral";
        checkpoint.Add("model.embed_tokens.weight", [Vocab, Hidden], 1.0);
        for (var l = 0; l < Layers; l++)
        {
            var p = $"model.layers.{l}.";
            checkpoint.Add(p + "input_layernorm.weight", [Hidden], 0.2, 1);
            checkpoint.Add(p + "self_attn.q_proj.weight", [Heads * HeadDim, Hidden], 0.3);
            checkpoint.Add(p + "self_attn.k_proj.weight", [KvHeads * HeadDim, Hidden], 0.3);
            checkpoint.Add(p + "self_attn.v_proj.weight", [KvHeads * HeadDim, Hidden], 0.3);
            if (type == "qwen2_moe")
            {
                checkpoint.Add(p + "self_attn.q_proj.bias", [Heads * HeadDim], 0.2);
                checkpoint.Add(p + "self_attn.k_proj.bias", [KvHeads * HeadDim], 0.2);
                checkpoint.Add(p + "self_attn.v_proj.bias", [KvHeads * HeadDim], 0.2);
            }

            if (type == "qwen3_moe")
            {
                checkpoint.Add(p + "self_attn.q_norm.weight", [HeadDim], 0.5, 1);
                checkpoint.Add(p + "self_attn.k_norm.weight", [HeadDim], 0.5, 1);
            }

            checkpoint.Add(p + "self_attn.o_proj.weight", [Hidden, Heads * HeadDim], 0.3);
            checkpoint.Add(p + "post_attention_layernorm.weight", [Hidden], 0.2, 1);
            var sparse = mixtral || !(configure is not null && l == 1 && type == "qwen3_moe" && IsDenseLayerOne(configure));
            if (!sparse)
            {
                AddMlp(p + "mlp.", Dense);
                continue;
            }

            var moe = mixtral ? p + "block_sparse_moe." : p + "mlp.";
            checkpoint.Add(moe + "gate.weight", [Experts, Hidden], 1.0);
            if (fuseExperts)
            {
                checkpoint.Add(moe + "experts.gate_up_proj", [Experts, 2 * Expert, Hidden], 0.3);
                checkpoint.Add(moe + "experts.down_proj", [Experts, Hidden, Expert], 0.3);
            }
            else
            {
                for (var e = 0; e < Experts; e++)
                {
                    if (mixtral)
                    {
                        AddMlp($"{moe}experts.{e}.", Expert, "w1", "w3", "w2");
                    }
                    else
                    {
                        AddMlp($"{moe}experts.{e}.", Expert);
                    }
                }
            }

            if (type == "qwen2_moe")
            {
                AddMlp(moe + "shared_expert.", Shared);
                checkpoint.Add(moe + "shared_expert_gate.weight", [1, Hidden], 0.5);
            }
        }

        checkpoint.Add("model.norm.weight", [Hidden], 0.2, 1);
        checkpoint.Write(folder);
        var config = new JsonObject
        {
            ["model_type"] = type,
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = mixtral ? Expert : Dense,
            ["moe_intermediate_size"] = Expert,
            ["shared_expert_intermediate_size"] = Shared,
            [mixtral ? "num_local_experts" : "num_experts"] = Experts,
            ["num_experts_per_tok"] = TopK,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["head_dim"] = HeadDim,
            ["vocab_size"] = Vocab,
            ["rms_norm_eps"] = 1e-6,
            ["rope_theta"] = 10_000.0,
            ["max_position_embeddings"] = 256,
            ["tie_word_embeddings"] = true,
            ["hidden_act"] = "silu",
            ["torch_dtype"] = "float32",
            ["eos_token_id"] = 2,
        };
        configure?.Invoke(config);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        return tensors;
    }

    private static bool IsDenseLayerOne(Action<JsonObject> configure)
    {
        var probe = new JsonObject();
        configure(probe);
        return probe["mlp_only_layers"] is JsonArray layers && layers.Any(n => n!.GetValue<int>() == 1);
    }
}
