using InferMesh.Engine.KvCache;
using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// The forward pass of the Llama family (llama, qwen2, qwen3, mistral, phi3, Gemma 1/2/3 through config flags, and
/// mixtral / qwen MoE through <see cref="MixtureOfExperts"/>), driven by config, for one step of a continuous batch:
/// prefill chunks and decode tokens of many sequences in one flattened batch over a paged KV cache.
/// Follows transformers' modeling_llama.py: x = embed(ids); per layer x += o_proj(attn(rope(q), rope(k), v)) over
/// rms_norm(x), then x += down(silu(gate(h))·up(h)) over rms_norm(x); logits = lm_head(norm(x)) of the rows that
/// sample. q/k/v and gate/up run as one packed GEMM each (<see cref="LayerWeights"/>), read apart by RopeWriteQkv and
/// SwiGlu, so a layer costs 4 GEMMs instead of 7. All buffers are allocated once at the engine's limits; a step
/// allocates nothing.
/// Gemma (modeling_gemma.py, modeling_gemma2.py, modeling_gemma3.py) differs only where <see cref="ModelConfig"/> says:
/// embeddings scaled by √hidden, norms applied as (1 + w) (folded into the weights at load), GELU(tanh) instead of SiLU,
/// Gemma 2/3's norms of the attention and MLP outputs before each residual add (<see cref="ModelConfig.SandwichNorms"/>),
/// the attention scale query_pre_attn_scalar^-0.5, soft caps on attention scores (Gemma 2) and logits, and Gemma 3's
/// separate rotary frequencies for sliding-window layers.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly LlamaWeights _weights;
    private readonly AttentionShape[] _layerShapes;
    private readonly float _ropeScaling;
    private readonly DeviceTensor? _slidingInvFreq;
    private readonly DeviceTensor? _noRopeInvFreq;
    private readonly float _slidingRopeScaling;
    private readonly LeadingRows? _normed;

    private readonly LeadingRows _x, _h, _qkv, _q, _attn, _lse, _o, _gateUp, _act;
    private readonly LeadingRows _last, _lastNorm, _logits, _argmax;
    private readonly LeadingRows _ids, _positions, _slots, _querySeq, _blockTables, _logitRows;
    private readonly DeviceTensor _invFreq;
    private readonly MixtureOfExperts? _experts;
    private AttentionBatch? _attentionBatch;

    public LlamaModel(IComputeBackend backend, LlamaWeights weights, int blockSize, int maxTokens, int maxSequences, int maxBlocksPerSequence)
    {
        _backend = backend;
        _weights = weights;
        var c = weights.Config;
        Config = c;
        var headDim = c.HeadDim;
        _layerShapes = new AttentionShape[weights.Layers.Count];
        for (var i = 0; i < _layerShapes.Length; i++)
        {
            _layerShapes[i] = new AttentionShape(c.NumAttentionHeads, c.NumKeyValueHeads, headDim, c.AttentionScale ?? 1f / MathF.Sqrt(headDim), weights.Layers[i].SlidingWindow, blockSize, c.AttentionSoftCap ?? 0f);
            if (!backend.SupportsAttention(_layerShapes[i]))
            {
                throw new ModelLoadException($"{c.Path}: attention logit soft capping ({c.AttentionSoftCap}, Gemma 2's attn_logit_softcapping) is not implemented by the attention kernels of {backend.DeviceName}; run this model on the CPU backend (--device cpu).");
            }
        }

        var (invFreq, scaling) = RotaryFrequencies.ForWeights(weights);
        _ropeScaling = scaling;
        _invFreq = backend.Allocate(1, invFreq.Length, DType.F32);
        backend.Upload(invFreq, _invFreq);
        if (c.SlidingRope is { } slidingRope)
        {
            // Gemma 3: sliding-window layers rotate with their own frequencies (rope_local_base_freq).
            var (slidingInvFreq, slidingScaling) = RotaryFrequencies.ForCheckpoint(c with { Rope = slidingRope }, weights.RotaryContextLength);
            _slidingRopeScaling = slidingScaling;
            _slidingInvFreq = backend.Allocate(1, slidingInvFreq.Length, DType.F32);
            backend.Upload(slidingInvFreq, _slidingInvFreq);
        }

        if (c.RopeLayers?.Contains(false) == true)
        {
            // NoPE layers (SmolLM3): zero frequencies rotate by angle 0 — cos 1, sin 0 — so RopeWriteQkv only writes
            // the cache, and re-rotating their cached keys by a position delta leaves them as they are.
            _noRopeInvFreq = backend.Allocate(1, invFreq.Length, DType.F32);
            backend.Upload(new float[invFreq.Length], _noRopeInvFreq);
        }

        _normed = c.SandwichNorms ? new(backend.Allocate(maxTokens, c.HiddenSize)) : null;

        var qWidth = c.NumAttentionHeads * headDim;
        var kvWidth = c.NumKeyValueHeads * headDim;
        _x = new(backend.Allocate(maxTokens, c.HiddenSize));
        _h = new(backend.Allocate(maxTokens, c.HiddenSize));
        _qkv = new(backend.Allocate(maxTokens, qWidth + (2 * kvWidth)));
        _q = new(backend.Allocate(maxTokens, qWidth));
        _attn = new(backend.Allocate(maxTokens, qWidth));
        _lse = new(backend.Allocate(maxTokens, c.NumAttentionHeads, DType.F32));
        _o = new(backend.Allocate(maxTokens, c.HiddenSize));
        // A model whose every layer is an expert layer (mixtral) needs no dense MLP buffers; keep a token-sized stub.
        var denseWidth = c.Experts is { } moe && Enumerable.Range(0, c.NumHiddenLayers).All(moe.AppliesTo) ? 1 : c.IntermediateSize;
        _gateUp = new(backend.Allocate(maxTokens, 2 * denseWidth));
        _act = new(backend.Allocate(maxTokens, denseWidth));
        _last = new(backend.Allocate(maxSequences, c.HiddenSize));
        _lastNorm = new(backend.Allocate(maxSequences, c.HiddenSize));
        _logits = new(backend.Allocate(maxSequences, c.VocabSize, DType.F32));
        _argmax = new(backend.Allocate(maxSequences, 1, DType.I32));
        _ids = new(backend.Allocate(maxTokens, 1, DType.I32));
        _positions = new(backend.Allocate(maxTokens, 1, DType.I32));
        _slots = new(backend.Allocate(maxTokens, 1, DType.I32));
        _querySeq = new(backend.Allocate(maxTokens, 1, DType.I32));
        _blockTables = new(backend.Allocate(maxSequences, maxBlocksPerSequence, DType.I32));
        _logitRows = new(backend.Allocate(maxSequences, 1, DType.I32));
        _experts = c.Experts is null ? null : new MixtureOfExperts(backend, c, maxTokens);
    }

    public ModelConfig Config { get; }

    /// <summary>The frequencies keys were rotated with (re-rotating cached keys by a position delta needs them); see <see cref="InvFreqForLayer"/> for models with per-layer rope.</summary>
    public DeviceTensor InvFreq => _invFreq;

    /// <summary>The frequencies the keys of this stage's layer <paramref name="layer"/> were rotated with.</summary>
    public DeviceTensor InvFreqForLayer(int layer) => Rotary(_weights.Layers[layer]).InvFreq;

    private (DeviceTensor InvFreq, float Scaling) Rotary(LayerWeights layer) =>
        !layer.UsesRope ? (_noRopeInvFreq!, 1f)
        : _slidingInvFreq is not null && layer.SlidingWindow > 0 ? (_slidingInvFreq, _slidingRopeScaling)
        : (_invFreq, _ropeScaling);

    public LlamaWeights Weights => _weights;

    public IComputeBackend Backend => _backend;

    /// <summary>Hidden states of the last step's rows: the input of a later pipeline stage, or set by the earlier one.</summary>
    public DeviceTensor HiddenStates(int rows) => _x.Take(rows);

    /// <summary>
    /// Runs one step. On the last pipeline stage returns the logits [LogitCount × vocab] (F32, on the device) of the
    /// rows that sample; on other stages returns null and leaves the output in <see cref="HiddenStates"/>.
    /// A stage other than the first reads its input from <see cref="HiddenStates"/>, which the caller filled.
    /// </summary>
    /// <param name="observer">Optional: sees every layer's rotated queries and attention LSE (chunk scoring).</param>
    public DeviceTensor? Forward(StepBatch batch, KvCachePool cache, IAttentionObserver? observer = null)
    {
        UploadInputs(batch);
        return Compute(batch, cache, observer);
    }

    /// <summary>
    /// Copies a step's host-side inputs (ids, positions, slots, block tables, logit rows) to the device: the only
    /// host→device traffic of a step, kept apart from <see cref="Compute"/> so a decode step's compute can be captured
    /// once as a graph and replayed after fresh uploads.
    /// </summary>
    public void UploadInputs(StepBatch batch)
    {
        var t = batch.TokenCount;
        var s = batch.SequenceCount;
        var b = _backend;
        b.Upload(batch.TokenIds.AsSpan(0, t), _ids.Take(t));
        b.Upload(batch.Positions.AsSpan(0, t), _positions.Take(t));
        b.Upload(batch.Slots.AsSpan(0, t), _slots.Take(t));
        b.Upload(batch.QuerySequence.AsSpan(0, t), _querySeq.Take(t));
        b.Upload(batch.BlockTables.AsSpan(0, s * batch.MaxBlocksPerSequence), _blockTables.Take(s));
        if (batch.LogitCount > 0)
        {
            b.Upload(batch.LogitRows.AsSpan(0, batch.LogitCount), _logitRows.Take(batch.LogitCount));
        }
    }

    /// <summary>Runs the layers over inputs already uploaded by <see cref="UploadInputs"/>; no host traffic.</summary>
    public DeviceTensor? Compute(StepBatch batch, KvCachePool cache, IAttentionObserver? observer = null, int? maxContextBound = null)
    {
        var t = batch.TokenCount;
        var s = batch.SequenceCount;
        var b = _backend;
        var ids = _ids.Take(t);
        var positions = _positions.Take(t);
        var slots = _slots.Take(t);
        var querySeq = _querySeq.Take(t);
        var tables = _blockTables.Take(s);
        if (_attentionBatch is null || _attentionBatch.QuerySequence != querySeq || _attentionBatch.BlockTables != tables)
        {
            _attentionBatch = new AttentionBatch(querySeq, positions, tables, batch.MaxContext);
        }

        _attentionBatch.MaxContext = maxContextBound ?? batch.MaxContext;

        var attentionBatch = _attentionBatch;

        var x = _x.Take(t);
        var h = _h.Take(t);
        var qkv = _qkv.Take(t);
        var q = _q.Take(t);
        var attn = _attn.Take(t);
        var lse = _lse.Take(t);
        var o = _o.Take(t);
        var gateUp = _gateUp.Take(t);
        var act = _act.Take(t);
        var eps = Config.RmsNormEps;
        var headDim = Config.HeadDim;

        if (_weights.IsFirstStage)
        {
            b.Embedding(_weights.Embedding!, ids, x);
            if (Config.EmbeddingScale is { } embeddingScale)
            {
                b.Scale(x, embeddingScale);
            }
        }

        var layers = _weights.Layers;
        if (layers.Count > 0)
        {
            b.RmsNorm(x, layers[0].InputNorm, eps, h);
        }

        // Every residual add is fused with the norm that reads its sum (one launch instead of two), except the
        // stage's last, whose sum leaves the stage (final norm, or the next pipeline stage).
        for (var l = 0; l < layers.Count; l++)
        {
            var w = layers[l];
            w.ProjectQkv(b, h, qkv, Config);
            var (invFreq, ropeScaling) = Rotary(w);
            b.RopeWriteQkv(qkv, headDim, positions, invFreq, ropeScaling, q, cache.Keys(l), cache.Values(l), slots);
            b.PagedAttention(q, cache.Keys(l), cache.Values(l), attentionBatch, _layerShapes[l], attn, lse);
            observer?.AfterAttention(l, q, lse, cache, _layerShapes[l]);
            b.MatMul(attn, w.OutputProjection, w.OutputBias, o);
            b.AddRmsNorm(x, ResidualScaled(OutputNorm(o, w.AttentionOutputNorm, t)), w.PostAttentionNorm, eps, h);
            DeviceTensor feedForward;
            if (w.Experts is { } experts)
            {
                feedForward = _experts!.Compute(experts, h);
            }
            else
            {
                b.MatMul(h, w.GateUpProjection!, w.GateUpBias, gateUp);
                if (Config.Activation == MlpActivation.GeluTanh)
                {
                    b.GeluTanhGlu(gateUp, act);
                }
                else
                {
                    b.SwiGlu(gateUp, act);
                }

                b.MatMul(act, w.DownProjection!, w.DownBias, o);
                feedForward = o;
            }

            var mlpOutput = ResidualScaled(OutputNorm(feedForward, w.MlpOutputNorm, t));
            if (l + 1 < layers.Count)
            {
                b.AddRmsNorm(x, mlpOutput, layers[l + 1].InputNorm, eps, h);
            }
            else
            {
                b.Add(x, mlpOutput);
            }
        }

        if (!_weights.IsLastStage || batch.LogitCount == 0)
        {
            return null;
        }

        var r = batch.LogitCount;
        var rows = _logitRows.Take(r);
        var last = _last.Take(r);
        var lastNorm = _lastNorm.Take(r);
        var logits = _logits.Take(r);
        b.GatherRows(x, rows, last);
        b.RmsNorm(last, _weights.FinalNorm!, eps, lastNorm);
        b.MatMul(lastNorm, _weights.LmHead!, null, logits);
        if (Config.LogitsDivisor is { } divisor)
        {
            b.Scale(logits, 1f / divisor); // Granite's logits_scaling
        }

        if (Config.FinalLogitSoftCap is { } cap)
        {
            b.SoftCap(logits, cap);
        }

        return logits;
    }

    /// <summary>A sublayer's output as it joins the residual: normed first when the layer has that norm (Gemma 2/3), else as is.</summary>
    /// <summary>Granite: a sublayer's output times residual_multiplier, in place, before it joins the residual.</summary>
    private DeviceTensor ResidualScaled(DeviceTensor output)
    {
        if (Config.ResidualMultiplier is { } multiplier)
        {
            _backend.Scale(output, multiplier);
        }

        return output;
    }

    private DeviceTensor OutputNorm(DeviceTensor output, DeviceTensor? norm, int rows)
    {
        if (norm is null)
        {
            return output;
        }

        var normed = _normed!.Take(rows);
        _backend.RmsNorm(output, norm, Config.RmsNormEps, normed);
        return normed;
    }

    /// <summary>The logits buffer's first rows (what the last step wrote).</summary>
    public DeviceTensor LogitsView(int rows) => _logits.Take(rows);

    /// <summary>Greedy ids of the given logits computed on the device (only ids cross to the host).</summary>
    public void ArgmaxOnDevice(DeviceTensor logits, Span<int> ids)
    {
        ArgmaxKernelOnly(logits);
        DownloadArgmax(ids);
    }

    /// <summary>Enqueues the device argmax of <paramref name="logits"/> (capturable in a graph).</summary>
    public void ArgmaxKernelOnly(DeviceTensor logits) => _backend.Argmax(logits, _argmax.Take(logits.Rows));

    /// <summary>Copies the ids of the last <see cref="ArgmaxKernelOnly"/> to the host.</summary>
    public void DownloadArgmax(Span<int> ids) => _backend.Download(_argmax.Take(ids.Length), ids);

    public void Dispose()
    {
        foreach (var t in new[] { _x, _h, _qkv, _q, _attn, _lse, _o, _gateUp, _act, _last, _lastNorm, _logits, _argmax, _ids, _positions, _slots, _querySeq, _blockTables, _logitRows })
        {
            t.Dispose();
        }

        _invFreq.Dispose();
        _experts?.Dispose();
        _slidingInvFreq?.Dispose();
        _noRopeInvFreq?.Dispose();
        _normed?.Dispose();
    }
}
