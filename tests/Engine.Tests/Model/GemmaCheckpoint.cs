using System.Text.Json.Nodes;
using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// Writes a tiny random fp32 Gemma checkpoint (version 1, 2 or 3) the way Hugging Face lays it out: norm weights stored
/// as offsets around 0 (GemmaRMSNorm applies 1 + w), tied embeddings, Gemma 2/3's four norms per layer, Gemma 3's
/// q_norm/k_norm. Returns the tensors by name for <see cref="NaiveGemma"/>.
/// </summary>
internal static class GemmaCheckpoint
{
    public const int Hidden = 32, Heads = 4, KvHeads = 2, HeadDim = 16, Intermediate = 48, Vocab = 96;

    public static Dictionary<string, (float[] Data, long[] Shape)> Write(string folder, int version, int layers, JsonObject config, int seed, string prefix = "model.", bool extraVisionTensor = false)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var tensors = new Dictionary<string, (float[] Data, long[] Shape)>();
        void Add(string name, long[] shape, double scale)
        {
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (float)(scale * ((random.NextDouble() * 2) - 1));
            }

            tensors[name] = (data, shape);
        }

        // Embedding rows are multiplied by √32 ≈ 5.7 in the forward pass, so keep them small.
        Add(prefix + "embed_tokens.weight", [Vocab, Hidden], 0.2);
        for (var l = 0; l < layers; l++)
        {
            var p = $"{prefix}layers.{l}.";
            Add(p + "input_layernorm.weight", [Hidden], 0.3);
            Add(p + "self_attn.q_proj.weight", [Heads * HeadDim, Hidden], 0.3);
            Add(p + "self_attn.k_proj.weight", [KvHeads * HeadDim, Hidden], 0.3);
            Add(p + "self_attn.v_proj.weight", [KvHeads * HeadDim, Hidden], 0.3);
            if (version == 3)
            {
                Add(p + "self_attn.q_norm.weight", [HeadDim], 0.5);
                Add(p + "self_attn.k_norm.weight", [HeadDim], 0.5);
            }

            Add(p + "self_attn.o_proj.weight", [Hidden, Heads * HeadDim], 0.3);
            Add(p + "post_attention_layernorm.weight", [Hidden], 0.3);
            if (version > 1)
            {
                Add(p + "pre_feedforward_layernorm.weight", [Hidden], 0.3);
                Add(p + "post_feedforward_layernorm.weight", [Hidden], 0.3);
            }

            Add(p + "mlp.gate_proj.weight", [Intermediate, Hidden], 0.3);
            Add(p + "mlp.up_proj.weight", [Intermediate, Hidden], 0.3);
            Add(p + "mlp.down_proj.weight", [Hidden, Intermediate], 0.3);
        }

        Add(prefix + "norm.weight", [Hidden], 0.3);
        var written = new Dictionary<string, (float[] Data, long[] Shape)>(tensors);
        if (extraVisionTensor)
        {
            written["vision_tower.vision_model.embeddings.patch_embedding.weight"] = (new float[12], [3, 4]);
        }

        var names = written.Keys.Order(StringComparer.Ordinal).ToArray();
        SafetensorsWriter.Write(
            Path.Combine(folder, "model.safetensors"),
            names.Select(n => new SafetensorsWriter.Entry(n, DType.F32, written[n].Shape)).ToArray(),
            (i, offset, buffer) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(written[names[i]].Data.AsSpan()).Slice((int)offset, buffer.Length).CopyTo(buffer.Span));
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        File.Copy(Path.Combine(RepoPaths.Golden("tiny-llama"), "tokenizer.json"), Path.Combine(folder, "tokenizer.json"), overwrite: true);
        return tensors;
    }

    /// <summary>The text-model keys every tiny Gemma config shares.</summary>
    public static JsonObject TextConfig(string modelType, int layers) => new()
    {
        ["model_type"] = modelType,
        ["hidden_size"] = Hidden,
        ["intermediate_size"] = Intermediate,
        ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = Heads,
        ["num_key_value_heads"] = KvHeads,
        ["head_dim"] = HeadDim,
        ["vocab_size"] = Vocab,
        ["rms_norm_eps"] = 1e-6,
        ["max_position_embeddings"] = 256,
        ["torch_dtype"] = "float32",
        ["eos_token_id"] = 2,
        ["bos_token_id"] = 1,
    };
}
