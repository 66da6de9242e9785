using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.Loading;

/// <summary>
/// Phi-3 checkpoints store q|k|v as one self_attn.qkv_proj and gate|up as one mlp.gate_up_proj (transformers'
/// modeling_phi3.py: q, k, v are consecutive slices of qkv_proj's output; gate_up_proj's output is chunked into gate
/// then up). A phi3 copy of a Llama checkpoint, fused that way, must compute exactly what the Llama one does.
/// </summary>
public sealed class FusedProjectionCheckpointTests : IDisposable
{
    private readonly string _phi3 = Path.Combine(Path.GetTempPath(), $"infermesh-phi3-{Guid.NewGuid():N}");

    public void Dispose()
    {
        Directory.Delete(_phi3, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_phi3_checkpoint_with_fused_projections_generates_what_its_llama_twin_does()
    {
        var llama = RepoPaths.Golden("tiny-llama");
        WritePhi3Copy(llama, _phi3);

        var expected = await Generate(llama);
        var actual = await Generate(_phi3);

        Assert.Equal(expected.Select(e => e.TokenId), actual.Select(e => e.TokenId));
        Assert.Equal(expected.Select(e => e.Logprob!.TopAlternatives), actual.Select(e => e.Logprob!.TopAlternatives));
    }

    [Fact]
    public void A_phi3_checkpoint_with_split_projections_is_refused_naming_the_fused_tensor()
    {
        var llama = RepoPaths.Golden("tiny-llama");
        Directory.CreateDirectory(_phi3);
        foreach (var file in Directory.GetFiles(llama))
        {
            File.Copy(file, Path.Combine(_phi3, Path.GetFileName(file)));
        }

        WritePhi3Config(llama, _phi3);

        var error = Assert.ThrowsAny<Exception>(() => InferenceEngine.Load(_phi3, new EngineOptions { Threads = 1 }));
        Assert.Contains("model.layers.0.self_attn.qkv_proj.weight", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<TokenEvent>> Generate(string folder)
    {
        await using var engine = InferenceEngine.Load(folder, new EngineOptions { Threads = 1 });
        var request = new GenerationRequest
        {
            PromptTokenIds = [5, 17, 300, 41, 1000, 7, 99, 250],
            MaxTokens = 8,
            IgnoreEos = true,
            Sampling = SamplingParams.Greedy with { Logprobs = true, TopLogprobs = 5 },
        };
        var events = new List<TokenEvent>();
        await foreach (var e in engine.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            if (e.TokenId >= 0)
            {
                events.Add(e);
            }
        }

        return events;
    }

    private static void WritePhi3Config(string llama, string phi3)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(llama, "config.json")))!.AsObject();
        config["model_type"] = "phi3";
        config["architectures"] = new JsonArray("Phi3ForCausalLM");
        config.Remove("attention_bias");
        config.Remove("mlp_bias");
        File.WriteAllText(Path.Combine(phi3, "config.json"), config.ToJsonString());
    }

    private static void WritePhi3Copy(string llama, string phi3)
    {
        Directory.CreateDirectory(phi3);
        foreach (var file in Directory.GetFiles(llama).Where(f => Path.GetExtension(f) != ".safetensors" && Path.GetFileName(f) != "config.json"))
        {
            File.Copy(file, Path.Combine(phi3, Path.GetFileName(file)));
        }

        WritePhi3Config(llama, phi3);
        using var store = WeightStore.Open(llama);
        var tensors = new List<(string Name, string[] Parts)>();
        foreach (var name in store.Names.Order(StringComparer.Ordinal))
        {
            if (name.EndsWith("self_attn.q_proj.weight", StringComparison.Ordinal))
            {
                var p = name[..^"q_proj.weight".Length];
                tensors.Add((p + "qkv_proj.weight", [p + "q_proj.weight", p + "k_proj.weight", p + "v_proj.weight"]));
            }
            else if (name.EndsWith("mlp.gate_proj.weight", StringComparison.Ordinal))
            {
                var p = name[..^"gate_proj.weight".Length];
                tensors.Add((p + "gate_up_proj.weight", [p + "gate_proj.weight", p + "up_proj.weight"]));
            }
            else if (!name.Contains("_proj.weight", StringComparison.Ordinal) || name.Contains("o_proj", StringComparison.Ordinal) || name.Contains("down_proj", StringComparison.Ordinal))
            {
                tensors.Add((name, [name]));
            }
        }

        // Each fused tensor is its parts' bytes one after another: rows stacked, as torch.cat(dim=0) would.
        var bytes = tensors.Select(t => t.Parts.SelectMany(p => store.Get(p).Data.ToArray()).ToArray()).ToArray();
        var entries = tensors.Select(t =>
        {
            var first = store.Get(t.Parts[0]);
            long[] shape = [.. first.Shape];
            shape[0] = t.Parts.Sum(p => store.Get(p).Shape[0]);
            return new SafetensorsWriter.Entry(t.Name, first.DType, shape);
        }).ToArray();
        SafetensorsWriter.Write(Path.Combine(phi3, "model.safetensors"), entries, (i, offset, buffer) => bytes[i].AsSpan((int)offset, buffer.Length).CopyTo(buffer.Span));
    }
}
