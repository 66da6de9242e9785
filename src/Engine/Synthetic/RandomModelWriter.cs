using System.Text.Json;
using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Synthetic;

/// <summary>
/// Writes a Hugging Face model folder of a real architecture with random weights (config.json, sharded
/// safetensors + index, tokenizer.json, tokenizer_config.json, generation_config.json), loadable by transformers and
/// InferMesh alike. Scales: projections ~ 1/√fan_in keep activations O(1); the LM head gets std 4/√hidden so logits
/// spread over several units and greedy choices are well separated (no near-ties between peers).
/// </summary>
public static class RandomModelWriter
{
    public static void Write(ModelShape shape, string directory, DType dtype, long seed, long maxShardBytes = 2L << 30, IProgress<string>? progress = null)
    {
        Directory.CreateDirectory(directory);
        var tensors = Tensors(shape, dtype);
        var shards = new List<List<(SafetensorsWriter.Entry Entry, float Std, float Constant)>> { new() };
        long current = 0;
        foreach (var t in tensors)
        {
            if (current > 0 && current + t.Entry.ByteCount > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }

            shards[^1].Add(t);
            current += t.Entry.ByteCount;
        }

        var weightMap = new Dictionary<string, string>();
        long totalBytes = 0;
        for (var s = 0; s < shards.Count; s++)
        {
            var file = shards.Count == 1 ? "model.safetensors" : $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
            var shard = shards[s];
            progress?.Report($"writing {file} ({shard.Count} tensors, {shard.Sum(t => t.Entry.ByteCount) / (1 << 20)} MiB)");
            SafetensorsWriter.Write(Path.Combine(directory, file), shard.Select(t => t.Entry).ToList(), (i, offset, memory) =>
            {
                var (entry, std, constant) = shard[i];
                var elementSize = SafetensorsWriter.ElementSize(entry.DType);
                var tensorSeed = RandomWeights.TensorSeed(seed, entry.Name);
                const int chunk = 1 << 20;
                var elements = memory.Length / elementSize;
                Parallel.For(0, (elements + chunk - 1) / chunk, c =>
                {
                    var first = c * chunk;
                    var n = Math.Min(chunk, elements - first);
                    RandomWeights.Fill(tensorSeed, entry.DType, std, constant, (offset / elementSize) + first, memory.Span.Slice(first * elementSize, n * elementSize));
                });
            }, new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var t in shard)
            {
                weightMap[t.Entry.Name] = file;
                totalBytes += t.Entry.ByteCount;
            }
        }

        if (shards.Count > 1)
        {
            var index = new { metadata = new { total_size = totalBytes }, weight_map = weightMap };
            File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"), JsonSerializer.Serialize(index));
        }

        File.WriteAllText(Path.Combine(directory, "config.json"), ConfigJson(shape, dtype));
        var eos = shape.VocabSize - 1;
        File.WriteAllText(Path.Combine(directory, "generation_config.json"), JsonSerializer.Serialize(new { bos_token_id = shape.VocabSize - 3, eos_token_id = eos, do_sample = false }));
        SyntheticTokenizer.Write(directory, shape.VocabSize, seed);
        progress?.Report($"wrote {shape.Name}: {shape.ParameterCount / 1e6:F0}M parameters, {totalBytes / (1 << 20)} MiB in {shards.Count} shard(s)");
    }

    private static List<(SafetensorsWriter.Entry Entry, float Std, float Constant)> Tensors(ModelShape s, DType dtype)
    {
        long h = s.HiddenSize, q = s.Heads * s.HeadDim, kv = s.KvHeads * s.HeadDim, inter = s.IntermediateSize;
        var list = new List<(SafetensorsWriter.Entry, float, float)>();
        void Add(string name, long[] shape, float std, float constant = 0) => list.Add((new SafetensorsWriter.Entry(name, dtype, shape), std, constant));
        Add("model.embed_tokens.weight", [s.VocabSize, h], s.TiedEmbeddings ? 4f / MathF.Sqrt(h) : 1f);
        for (var l = 0; l < s.Layers; l++)
        {
            var p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", [h], 0, 1);
            Add(p + "self_attn.q_proj.weight", [q, h], 1f / MathF.Sqrt(h));
            Add(p + "self_attn.k_proj.weight", [kv, h], 1f / MathF.Sqrt(h));
            Add(p + "self_attn.v_proj.weight", [kv, h], 1f / MathF.Sqrt(h));
            if (s.QkvBias)
            {
                Add(p + "self_attn.q_proj.bias", [q], 0.02f);
                Add(p + "self_attn.k_proj.bias", [kv], 0.02f);
                Add(p + "self_attn.v_proj.bias", [kv], 0.02f);
            }

            Add(p + "self_attn.o_proj.weight", [h, q], 1f / MathF.Sqrt(q));
            Add(p + "post_attention_layernorm.weight", [h], 0, 1);
            Add(p + "mlp.gate_proj.weight", [inter, h], 1f / MathF.Sqrt(h));
            Add(p + "mlp.up_proj.weight", [inter, h], 1f / MathF.Sqrt(h));
            Add(p + "mlp.down_proj.weight", [h, inter], 1f / MathF.Sqrt(inter));
        }

        Add("model.norm.weight", [h], 0, 1);
        if (!s.TiedEmbeddings)
        {
            Add("lm_head.weight", [s.VocabSize, h], 4f / MathF.Sqrt(h));
        }

        return list;
    }

    private static string ConfigJson(ModelShape s, DType dtype)
    {
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { s.ModelType == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM" },
            ["model_type"] = s.ModelType,
            ["hidden_size"] = s.HiddenSize,
            ["intermediate_size"] = s.IntermediateSize,
            ["num_hidden_layers"] = s.Layers,
            ["num_attention_heads"] = s.Heads,
            ["num_key_value_heads"] = s.KvHeads,
            ["head_dim"] = s.HeadDim,
            ["vocab_size"] = s.VocabSize,
            ["max_position_embeddings"] = s.MaxPositionEmbeddings,
            ["rms_norm_eps"] = s.RmsNormEps,
            ["rope_theta"] = s.RopeTheta,
            ["tie_word_embeddings"] = s.TiedEmbeddings,
            ["hidden_act"] = "silu",
            ["attention_bias"] = false,
            ["torch_dtype"] = dtype switch { DType.BF16 => "bfloat16", DType.F16 => "float16", _ => "float32" },
            ["bos_token_id"] = s.VocabSize - 3,
            ["eos_token_id"] = s.VocabSize - 1,
        };
        if (s.Llama3Rope is { } r)
        {
            config["rope_scaling"] = new Dictionary<string, object>
            {
                ["rope_type"] = "llama3", ["factor"] = r.Factor, ["low_freq_factor"] = r.Low, ["high_freq_factor"] = r.High, ["original_max_position_embeddings"] = r.Original,
            };
        }

        if (s.ModelType == "qwen2")
        {
            config["use_sliding_window"] = false;
            config["sliding_window"] = null;
            config.Remove("attention_bias");
        }

        return JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true });
    }
}
