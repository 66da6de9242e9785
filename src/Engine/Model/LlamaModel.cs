using InferMesh.Engine.KvCache;
using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// The forward pass of the Llama family (llama, qwen2, qwen3, mistral, phi3, Gemma 1/2/3, smollm3, granite through
/// config flags, and mixtral / qwen MoE through <see cref="MixtureOfExperts"/>) for one step of a continuous batch:
/// prefill chunks and decode tokens of many sequences in one flattened batch over a paged KV cache. This class owns the
/// step's inputs and the attention (packed q/k/v projection, RopeWriteQkv into the cache, paged attention, output
/// projection); everything else of a layer — norms, MLP or experts, residual adds, the logits head, each layer's
/// rotary table and attention shape — is <see cref="DecoderBlocks"/>, which TokenRing members share. All buffers are
/// allocated once at the engine's limits; a step allocates nothing.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly LlamaWeights _weights;
    private readonly DecoderBlocks _blocks;

    private readonly LeadingRows _x, _h, _qkv, _q, _attn, _lse, _o;
    private readonly LeadingRows _last, _lastNorm, _logits, _argmax;
    private readonly LeadingRows _ids, _positions, _slots, _querySeq, _blockTables, _logitRows;
    private AttentionBatch? _attentionBatch;

    public LlamaModel(IComputeBackend backend, LlamaWeights weights, int blockSize, int maxTokens, int maxSequences, int maxBlocksPerSequence)
    {
        _backend = backend;
        _weights = weights;
        var c = weights.Config;
        Config = c;
        _blocks = new DecoderBlocks(backend, weights, maxTokens, blockSize);

        var qWidth = c.NumAttentionHeads * c.HeadDim;
        var kvWidth = c.NumKeyValueHeads * c.HeadDim;
        _x = new(backend.Allocate(maxTokens, c.HiddenSize));
        _h = new(backend.Allocate(maxTokens, c.HiddenSize));
        _qkv = new(backend.Allocate(maxTokens, qWidth + (2 * kvWidth)));
        _q = new(backend.Allocate(maxTokens, qWidth));
        _attn = new(backend.Allocate(maxTokens, qWidth));
        _lse = new(backend.Allocate(maxTokens, c.NumAttentionHeads, DType.F32));
        _o = new(backend.Allocate(maxTokens, c.HiddenSize));
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
    }

    public ModelConfig Config { get; }

    /// <summary>The frequencies the keys of this stage's layer <paramref name="layer"/> were rotated with (re-rotating cached keys by a position delta needs them).</summary>
    public DeviceTensor InvFreqForLayer(int layer) => _blocks.Rotary.For(_weights.Layers[layer]).InvFreq;

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
        var headDim = Config.HeadDim;

        if (_weights.IsFirstStage)
        {
            _blocks.Embed(ids, x, h);
        }
        else
        {
            _blocks.NormFirstLayer(x, h);
        }

        // Every residual add is fused with the norm that reads its sum (one launch instead of two), except the
        // stage's last, whose sum leaves the stage (final norm, or the next pipeline stage).
        var layers = _weights.Layers;
        for (var l = 0; l < layers.Count; l++)
        {
            var w = layers[l];
            var shape = _blocks.Shape(l);
            w.ProjectQkv(b, h, qkv, Config);
            var (invFreq, ropeScaling) = _blocks.Rotary.For(w);
            b.RopeWriteQkv(qkv, headDim, positions, invFreq, ropeScaling, q, cache.Keys(l), cache.Values(l), slots);
            b.PagedAttention(q, cache.Keys(l), cache.Values(l), attentionBatch, shape, attn, lse);
            observer?.AfterAttention(l, q, lse, cache, shape);
            b.MatMul(attn, w.OutputProjection, w.OutputBias, o);
            _blocks.AfterAttention(l, o, x, h);
        }

        if (!_weights.IsLastStage || batch.LogitCount == 0)
        {
            return null;
        }

        var r = batch.LogitCount;
        var logits = _logits.Take(r);
        var last = _last.Take(r);
        b.GatherRows(x, _logitRows.Take(r), last);
        _blocks.Logits(last, _lastNorm.Take(r), logits);
        return logits;
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
        foreach (var t in new[] { _x, _h, _qkv, _q, _attn, _lse, _o, _last, _lastNorm, _logits, _argmax, _ids, _positions, _slots, _querySeq, _blockTables, _logitRows })
        {
            t.Dispose();
        }

        _blocks.Dispose();
    }
}
