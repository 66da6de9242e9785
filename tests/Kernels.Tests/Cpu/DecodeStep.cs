using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>The operations of one decode step of a one-layer Llama with tied embeddings, on tensors made up front.</summary>
internal sealed class DecodeStep
{
    private const int HeadDim = 64, BlockSize = 16, Context = 40, Vocab = 500;
    private readonly CpuBackend _backend;
    private readonly DeviceTensor _embeddings, _norm, _wq, _wk, _wv, _wo, _wGate, _wUp, _wDown, _invFreq, _keyCache, _valueCache;
    private readonly DeviceTensor _ids, _positions, _slots, _lastRows;
    private readonly DeviceTensor _hidden, _normed, _q, _k, _v, _attention, _lse, _projected, _gate, _up, _lastHidden, _logits, _next;
    private readonly AttentionBatch _batch;
    private readonly AttentionShape _shape;
    private readonly float[] _downloaded;
    private readonly int[] _tokenIds;

    public DecodeStep(CpuBackend backend, int tokens, int hidden, int intermediate)
    {
        _backend = backend;
        int heads = hidden / HeadDim, kvHeads = heads / 4, kvWidth = kvHeads * HeadDim;
        _shape = new AttentionShape(heads, kvHeads, HeadDim, 0.125f, 0, BlockSize);
        _embeddings = backend.Tensor(CpuTestData.Random(Vocab * hidden, 70), Vocab, hidden);
        _norm = backend.Tensor(CpuTestData.Random(hidden, 71), 1, hidden);
        _wq = backend.Tensor(CpuTestData.Random(hidden * hidden, 72, 0.03f), hidden, hidden);
        _wk = backend.Tensor(CpuTestData.Random(kvWidth * hidden, 73, 0.03f), kvWidth, hidden);
        _wv = backend.Tensor(CpuTestData.Random(kvWidth * hidden, 74, 0.03f), kvWidth, hidden);
        _wo = backend.Tensor(CpuTestData.Random(hidden * hidden, 75, 0.03f), hidden, hidden);
        _wGate = backend.Tensor(CpuTestData.Random(intermediate * hidden, 76, 0.03f), intermediate, hidden);
        _wUp = backend.Tensor(CpuTestData.Random(intermediate * hidden, 77, 0.03f), intermediate, hidden);
        _wDown = backend.Tensor(CpuTestData.Random(hidden * intermediate, 78, 0.03f), hidden, intermediate);
        _invFreq = backend.Tensor(Enumerable.Range(0, HeadDim / 2).Select(i => MathF.Pow(10_000f, -2f * i / HeadDim)).ToArray(), 1, HeadDim / 2);
        int blocksPerSequence = (Context / BlockSize) + 1;
        _keyCache = backend.Allocate(tokens * blocksPerSequence * BlockSize, kvWidth);
        _valueCache = backend.Allocate(tokens * blocksPerSequence * BlockSize, kvWidth);

        _tokenIds = Enumerable.Range(0, tokens).Select(t => (t * 37) % Vocab).ToArray();
        _ids = backend.Allocate(tokens, 1, DType.I32);
        _positions = backend.Column(Enumerable.Repeat(Context - 1, tokens).ToArray());
        _slots = backend.Column(Enumerable.Range(0, tokens).Select(t => (t * blocksPerSequence * BlockSize) + Context - 1).ToArray());
        _batch = new AttentionBatch(
            backend.Column(Enumerable.Range(0, tokens).ToArray()),
            _positions,
            backend.Ints(Enumerable.Range(0, tokens * blocksPerSequence).ToArray(), tokens, blocksPerSequence),
            Context);
        _lastRows = backend.Column(Enumerable.Range(0, tokens).Reverse().ToArray());
        _hidden = backend.Allocate(tokens, hidden);
        _normed = backend.Allocate(tokens, hidden);
        _q = backend.Allocate(tokens, hidden);
        _k = backend.Allocate(tokens, kvWidth);
        _v = backend.Allocate(tokens, kvWidth);
        _attention = backend.Allocate(tokens, hidden);
        _lse = backend.Allocate(tokens, heads);
        _projected = backend.Allocate(tokens, hidden);
        _gate = backend.Allocate(tokens, intermediate);
        _up = backend.Allocate(tokens, intermediate);
        _lastHidden = backend.Allocate(tokens, hidden);
        _logits = backend.Allocate(tokens, Vocab);
        _next = backend.Allocate(tokens, 1, DType.I32);
        _downloaded = new float[tokens * Vocab];
    }

    /// <summary>The next-token logits of the last <see cref="Run"/>, downloaded to the host.</summary>
    public float[] Logits => _downloaded;

    public void Run()
    {
        _backend.Upload(_tokenIds, _ids);
        _backend.Embedding(_embeddings, _ids, _hidden);
        _backend.RmsNorm(_hidden, _norm, 1e-5f, _normed);
        _backend.MatMul(_normed, _wq, null, _q);
        _backend.MatMul(_normed, _wk, null, _k);
        _backend.MatMul(_normed, _wv, null, _v);
        _backend.Rope(_q, HeadDim, _positions, _invFreq, 1f);
        _backend.Rope(_k, HeadDim, _positions, _invFreq, 1f);
        _backend.WriteKv(_k, _v, _keyCache, _valueCache, _slots);
        _backend.PagedAttention(_q, _keyCache, _valueCache, _batch, _shape, _attention, _lse);
        _backend.MatMul(_attention, _wo, null, _projected);
        _backend.Add(_hidden, _projected);
        _backend.RmsNorm(_hidden, _norm, 1e-5f, _normed);
        _backend.MatMul(_normed, _wGate, null, _gate);
        _backend.MatMul(_normed, _wUp, null, _up);
        _backend.SiluMul(_gate, _up, _gate);
        _backend.MatMul(_gate, _wDown, null, _projected);
        _backend.Add(_hidden, _projected);
        _backend.GatherRows(_hidden, _lastRows, _lastHidden);
        _backend.Copy(_lastHidden, _normed);
        _backend.MatMul(_normed, _embeddings, null, _logits);
        _backend.Argmax(_logits, _next);
        _backend.Download(_logits, _downloaded);
        _backend.Synchronize();
    }
}
