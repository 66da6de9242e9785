using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;
using static InferMesh.Engine.Tests.Model.GemmaCheckpoint;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// Gemma 1, 2 and 3 (no transformers here to make golden data): tiny random checkpoints run through the engine's forward
/// pass on the CPU backend, teacher forced, against <see cref="NaiveGemma"/>, a float64 transcription of transformers'
/// modeling code. Sequences are longer than the sliding windows, and windows, soft caps and per-layer rope are set so
/// that getting any of them wrong moves the logits.
/// </summary>
public sealed class GemmaForwardTests : IDisposable
{
    private static readonly int[] Ids = [3, 17, 90, 4, 4, 55, 12, 81, 33, 2, 60, 71, 9, 40, 41];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"infermesh-gemma-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(3)]
    public void Gemma1_logits_match_a_float64_transcription_of_transformers(int chunk)
    {
        var config = TextConfig("gemma", 2);
        config["hidden_act"] = "gelu"; // Gemma 1's configs say so; transformers runs gelu_pytorch_tanh regardless.
        var tensors = Write(_folder, 1, 2, config, seed: 3);

        var expected = NaiveGemma.Logits(tensors, Ids, new NaiveGemma.Options(1, 2, Heads, KvHeads, HeadDim, 1e-6));

        AssertMatches(expected, chunk);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(3)]
    public void Gemma2_logits_with_soft_caps_and_alternating_windows_match_transformers(int chunk)
    {
        var config = TextConfig("gemma2", 4);
        config["query_pre_attn_scalar"] = 24;
        config["sliding_window"] = 4;
        config["attn_logit_softcapping"] = 1.5;
        config["final_logit_softcapping"] = 2.0;
        var tensors = Write(_folder, 2, 4, config, seed: 4);

        var options = new NaiveGemma.Options(2, 4, Heads, KvHeads, HeadDim, 1e-6)
        {
            QueryPreAttnScalar = 24, AttnSoftCap = 1.5, FinalSoftCap = 2.0, SlidingWindow = 4, IsSliding = l => l % 2 == 0,
        };
        var expected = NaiveGemma.Logits(tensors, Ids, options);

        AssertMatches(expected, chunk);
        Assert.NotEqual(expected[^1], NaiveGemma.Logits(tensors, Ids, options with { AttnSoftCap = null })[^1]);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(3)]
    public void Gemma3_logits_with_qk_norms_local_and_global_rope_match_transformers(int chunk)
    {
        var tensors = Write(_folder, 3, 4, Gemma3Config(), seed: 5);

        var expected = NaiveGemma.Logits(tensors, Ids, Gemma3Options());

        AssertMatches(expected, chunk);
    }

    [Fact]
    public void Gemma3_rope_parameters_per_layer_type_as_transformers_5_writes_them_give_the_same_logits()
    {
        var config = Gemma3Config();
        config.Remove("rope_scaling");
        config.Remove("rope_theta");
        config.Remove("rope_local_base_freq");
        config["rope_parameters"] = new JsonObject
        {
            ["full_attention"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8.0, ["rope_theta"] = 1_000_000.0 },
            ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 10_000.0 },
        };
        var tensors = Write(_folder, 3, 4, config, seed: 5);

        AssertMatches(NaiveGemma.Logits(tensors, Ids, Gemma3Options()), chunk: 5);
    }

    [Fact]
    public void The_text_model_of_a_multimodal_gemma3_checkpoint_runs_and_its_vision_tensors_are_ignored()
    {
        var text = Gemma3Config();
        text["model_type"] = "gemma3_text";
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("Gemma3ForConditionalGeneration"),
            ["model_type"] = "gemma3",
            ["text_config"] = text,
            ["vision_config"] = new JsonObject { ["model_type"] = "siglip_vision_model" },
            ["eos_token_id"] = new JsonArray(1, 2),
        };
        var tensors = Write(_folder, 3, 4, config, seed: 6, prefix: "language_model.model.", extraVisionTensor: true);

        var expected = NaiveGemma.Logits(tensors, Ids, Gemma3Options() with { Prefix = "language_model.model." });

        AssertMatches(expected, chunk: 4);
    }

    [Fact]
    public async Task A_multimodal_gemma3_folder_loads_into_the_inference_engine_by_its_language_model_prefix()
    {
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("Gemma3ForConditionalGeneration"),
            ["model_type"] = "gemma3",
            ["text_config"] = Gemma3Config(),
        };
        Write(_folder, 3, 4, config, seed: 8, prefix: "model.language_model.", extraVisionTensor: true);

        await using var engine = InferenceEngine.Load(_folder, new EngineOptions { Threads = 1 });

        Assert.Equal("gemma3", engine.Folder.Config.ModelType);
    }

    [Fact]
    public void Gemma2_on_the_cuda_backend_caps_attention_scores_like_transformers()
    {
        // The CUDA backend on ILGPU's CPU accelerator: soft-capped layers take the ILGPU attention kernels.
        var config = TextConfig("gemma2", 2);
        config["query_pre_attn_scalar"] = 24;
        config["attn_logit_softcapping"] = 1.5;
        config["final_logit_softcapping"] = 2.0;
        var tensors = Write(_folder, 2, 2, config, seed: 7);
        var expected = NaiveGemma.Logits(tensors, Ids, new NaiveGemma.Options(2, 2, Heads, KvHeads, HeadDim, 1e-6) { QueryPreAttnScalar = 24, AttnSoftCap = 1.5, FinalSoftCap = 2.0 });
        var modelConfig = ModelConfig.Load(Path.Combine(_folder, "config.json"));
        using var store = WeightStore.Open(_folder);
        using var backend = new Kernels.Cuda.CudaBackend(DType.F32);
        using var weights = LlamaWeights.Load(backend, modelConfig, store);
        using var tf = new TeacherForcing(backend, weights, 64, 16, 64);

        var (argmax, last) = tf.Run(Ids);

        var maxDelta = last.Select((v, i) => Math.Abs(v - expected[^1][i])).Max();
        Assert.True(maxDelta < 1e-3, $"max |Δlogit| {maxDelta}");
        Assert.Equal(expected.Select(row => Array.IndexOf(row, row.Max())), argmax);
    }

    private static JsonObject Gemma3Config()
    {
        var config = TextConfig("gemma3_text", 4);
        config["architectures"] = new JsonArray("Gemma3ForCausalLM");
        config["query_pre_attn_scalar"] = 24;
        config["sliding_window"] = 4;
        config["sliding_window_pattern"] = 2;
        config["rope_theta"] = 1_000_000.0;
        config["rope_local_base_freq"] = 10_000.0;
        config["rope_scaling"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8.0 };
        config["final_logit_softcapping"] = null;
        return config;
    }

    private static NaiveGemma.Options Gemma3Options() => new(3, 4, Heads, KvHeads, HeadDim, 1e-6)
    {
        QueryPreAttnScalar = 24, SlidingWindow = 4, IsSliding = l => (l + 1) % 2 != 0,
        GlobalTheta = 1_000_000.0, LocalTheta = 10_000.0, GlobalLinearFactor = 8,
    };

    private void AssertMatches(double[][] expected, int chunk) => TeacherForcedCheck.AssertMatches(_folder, Ids, expected, chunk);
}
