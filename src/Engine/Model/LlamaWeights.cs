using System.Runtime.InteropServices;
using InferMesh.Kernels.Numerics;
using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// The weights of a Llama-family model (llama, qwen2, qwen3, mistral, phi3, and their mixture-of-experts kin) on one device, as Hugging Face names them.
/// A pipeline stage holds a contiguous layer range; only the first stage holds the embedding and only the last the
/// final norm and LM head.
/// </summary>
public sealed class LlamaWeights : IDisposable
{
    private LlamaWeights(ModelConfig config, int rotaryContextLength, int firstLayer, LayerWeights[] layers, DeviceTensor? embedding, DeviceTensor? finalNorm, DeviceTensor? lmHead, bool lmHeadIsEmbedding)
    {
        Config = config;
        RotaryContextLength = rotaryContextLength;
        FirstLayer = firstLayer;
        Layers = layers;
        Embedding = embedding;
        FinalNorm = finalNorm;
        LmHead = lmHead;
        _lmHeadIsEmbedding = lmHeadIsEmbedding;
    }

    private readonly bool _lmHeadIsEmbedding;

    public ModelConfig Config { get; }

    public int FirstLayer { get; }

    /// <summary>
    /// The longest sequence the weights serve: every forward pass over them (engine, TokenRing members, tools) rotates
    /// with the frequencies for this context, so keys computed anywhere can be imported anywhere (longrope's table).
    /// </summary>
    public int RotaryContextLength { get; }

    public IReadOnlyList<LayerWeights> Layers { get; }

    /// <summary>Token embedding table [vocab, hidden]; present on the first stage (and the last when tied).</summary>
    public DeviceTensor? Embedding { get; }

    public DeviceTensor? FinalNorm { get; }

    /// <summary>LM head [vocab, hidden]; the embedding table itself when tie_word_embeddings.</summary>
    public DeviceTensor? LmHead { get; }

    public bool IsFirstStage => FirstLayer == 0;

    public bool IsLastStage => FirstLayer + Layers.Count == Config.NumHiddenLayers;

    /// <summary>
    /// Uploads the weights of layers [firstLayer, firstLayer+layerCount) (all by default) to the backend, to serve
    /// sequences of up to <paramref name="rotaryContextLength"/> tokens (default: max_position_embeddings).
    /// </summary>
    public static LlamaWeights Load(IComputeBackend backend, ModelConfig config, WeightStore store, int firstLayer = 0, int? layerCount = null, IProgress<string>? progress = null, int? rotaryContextLength = null)
    {
        var context = rotaryContextLength ?? config.MaxPositionEmbeddings;
        if (context <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rotaryContextLength), $"the context length must be positive (got {context}).");
        }

        var count = layerCount ?? config.NumHiddenLayers - firstLayer;
        if (firstLayer < 0 || count < 1 || firstLayer + count > config.NumHiddenLayers)
        {
            throw new ArgumentOutOfRangeException(nameof(layerCount), $"layer range [{firstLayer}, {firstLayer + count}) is outside the model's {config.NumHiddenLayers} layers.");
        }

        var last = firstLayer + count == config.NumHiddenLayers;
        var prefix = TextWeightPrefix.Resolve(config, store);
        DeviceTensor Load(string name) => Upload(backend, store, name);
        DeviceTensor? LoadOptional(string name) => store.Contains(name) ? Upload(backend, store, name) : null;
        DeviceTensor Norm(string name) => config.NormWeightsAreOffsets ? UploadOffsetNorm(backend, store, name) : Upload(backend, store, name);

        var embedding = firstLayer == 0 || (last && config.TieWordEmbeddings) ? Load(prefix + "embed_tokens.weight") : null;
        var layers = new LayerWeights[count];
        var packer = new ProjectionPacker(backend, store);
        for (var i = 0; i < count; i++)
        {
            var p = $"{prefix}layers.{firstLayer + i}.";
            string[] qkv = config.FusedProjections ? [p + "self_attn.qkv_proj.weight"] : [p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"];
            string[] gateUp = config.FusedProjections ? [p + "mlp.gate_up_proj.weight"] : [p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"];
            var experts = config.Experts?.AppliesTo(firstLayer + i) == true ? ExpertLayerWeights.Load(config, firstLayer + i, packer, Load, store.Contains) : null;
            layers[i] = new LayerWeights
            {
                InputNorm = Norm(p + "input_layernorm.weight"),
                QkvProjection = packer.Weights(qkv),
                QkvBias = packer.Biases(qkv),
                QueryNorm = config.QkNorm ? Norm(p + "self_attn.q_norm.weight") : null,
                KeyNorm = config.QkNorm ? Norm(p + "self_attn.k_norm.weight") : null,
                OutputProjection = Load(p + "self_attn.o_proj.weight"),
                OutputBias = LoadOptional(p + "self_attn.o_proj.bias"),
                PostAttentionNorm = Norm(p + (config.SandwichNorms ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")),
                AttentionOutputNorm = config.SandwichNorms ? Norm(p + "post_attention_layernorm.weight") : null,
                MlpOutputNorm = config.SandwichNorms ? Norm(p + "post_feedforward_layernorm.weight") : null,
                GateUpProjection = experts is null ? packer.Weights(gateUp) : null,
                GateUpBias = experts is null ? packer.Biases(gateUp) : null,
                DownProjection = experts is null ? Load(p + "mlp.down_proj.weight") : null,
                DownBias = experts is null ? LoadOptional(p + "mlp.down_proj.bias") : null,
                Experts = experts,
                SlidingWindow = config.SlidingWindowForLayer(firstLayer + i),
                UsesRope = config.RopeLayers?[firstLayer + i] ?? true,
            };
            if (progress is not null && ((i + 1) % Math.Max(1, count / 4) == 0 || i + 1 == count))
            {
                progress.Report($"loaded layer {firstLayer + i + 1} of {config.NumHiddenLayers}");
            }
        }

        DeviceTensor? finalNorm = null, lmHead = null;
        var tied = false;
        if (last)
        {
            finalNorm = Norm(prefix + "norm.weight");
            if (config.TieWordEmbeddings)
            {
                lmHead = embedding ?? Load(prefix + "embed_tokens.weight");
                tied = true;
            }
            else
            {
                lmHead = Load("lm_head.weight");
            }
        }

        return new LlamaWeights(config, context, firstLayer, layers, firstLayer == 0 ? embedding : null, finalNorm, lmHead, tied);
    }

    private static DeviceTensor Upload(IComputeBackend backend, WeightStore store, string name)
    {
        var tensor = store.Get(name);
        var shape = tensor.Shape;
        var rows = shape.Length == 1 ? 1 : checked((int)shape[0]);
        var cols = checked((int)shape[^1]);
        return backend.LoadWeight(tensor.Data, tensor.DType, rows, cols);
    }

    /// <summary>
    /// A Gemma norm weight w uploaded as (1 + w): GemmaRMSNorm computes <c>output * (1.0 + self.weight.float())</c>, the
    /// sum in fp32, so it is formed here in fp32 and handed over as fp32. A backend that stores weights in bf16 rounds the
    /// sum (relative error ≤ 2^-9 per channel, the size of the bf16 rounding transformers applies to the norm's output).
    /// </summary>
    private static DeviceTensor UploadOffsetNorm(IComputeBackend backend, WeightStore store, string name)
    {
        var tensor = store.Get(name);
        var values = new float[checked((int)tensor.Shape.Aggregate(1L, (a, b) => a * b))];
        FloatConversion.ToSingle(tensor.Data, tensor.DType, values);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = 1f + values[i];
        }

        return backend.LoadWeight(MemoryMarshal.AsBytes(values.AsSpan()), DType.F32, 1, values.Length);
    }

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }

        Embedding?.Dispose();
        FinalNorm?.Dispose();
        if (!_lmHeadIsEmbedding)
        {
            LmHead?.Dispose();
        }
        else if (Embedding is null)
        {
            LmHead?.Dispose();
        }
    }
}
