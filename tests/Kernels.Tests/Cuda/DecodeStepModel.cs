using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// A Llama-shaped model with random bf16 weights on the CUDA backend and one decode step over it, written the way an
/// engine calls the backend — with packed q|k|v and gate|up projections as LlamaModel runs them, or with the separate
/// projections it used before — for timing whole steps with and without a CUDA graph. Every layer has its own weights
/// and KV pool, so the step reads what a real one reads.
/// </summary>
internal sealed class DecodeStepModel : IDisposable
{
    private readonly CudaBackend backend;
    private readonly LlamaShape shape;
    private readonly int batch;
    private readonly List<DeviceTensor> owned = [];
    private readonly Layer[] layers;
    private readonly DeviceTensor finalNorm, lmHead, embedding;
    private readonly DeviceTensor ids, positions, sequences, tables, slots, invFreq;
    private readonly DeviceTensor hidden, normed, qkv, q, k, v, attention, lse, projected, gateUp, gate, up, act, down, logits, next;
    private readonly bool packed;
    private readonly AttentionBatch attentionBatch;
    private readonly AttentionShape attentionShape;

    public DecodeStepModel(CudaBackend backend, LlamaShape shape, int batch, int context, Random random, bool packed = true)
    {
        this.backend = backend;
        this.packed = packed;
        this.shape = shape;
        this.batch = batch;
        const int blockSize = 16;
        int blocksPerSequence = (context + blockSize) / blockSize;
        int poolSlots = batch * blocksPerSequence * blockSize;

        // One random set of layer matrices, copied on the device into every layer (uploading 16 GB would take minutes).
        // Packed: [q|k|v], o, [gate|up], down, norm; separate: q, k, v, o, gate, up, down, norm.
        var template = packed
            ? new[]
            {
                Weight(random, shape.QueryWidth + 2 * shape.KvWidth, shape.Hidden), Weight(random, shape.Hidden, shape.QueryWidth),
                Weight(random, 2 * shape.Intermediate, shape.Hidden), Weight(random, shape.Hidden, shape.Intermediate), Weight(random, 1, shape.Hidden),
            }
            : new[]
            {
                Weight(random, shape.QueryWidth, shape.Hidden), Weight(random, shape.KvWidth, shape.Hidden), Weight(random, shape.KvWidth, shape.Hidden),
                Weight(random, shape.Hidden, shape.QueryWidth), Weight(random, shape.Intermediate, shape.Hidden), Weight(random, shape.Intermediate, shape.Hidden),
                Weight(random, shape.Hidden, shape.Intermediate), Weight(random, 1, shape.Hidden),
            };
        var poolTemplate = Own(backend.Allocate(poolSlots, shape.KvWidth));
        backend.Upload(TestTensors.Bf16Random(random, poolSlots * shape.KvWidth), poolTemplate);
        layers = new Layer[shape.Layers];
        for (int l = 0; l < shape.Layers; l++)
        {
            var w = template.Select(t => Own(backend.Allocate(t.Rows, t.Cols))).ToArray();
            for (int i = 0; i < w.Length; i++)
                backend.Copy(template[i], w[i]);
            var keyCache = Own(backend.Allocate(poolSlots, shape.KvWidth));
            var valueCache = Own(backend.Allocate(poolSlots, shape.KvWidth));
            backend.Copy(poolTemplate, keyCache);
            backend.Copy(poolTemplate, valueCache);
            layers[l] = packed ? new Layer(w, w[4], keyCache, valueCache) : new Layer(w, w[7], keyCache, valueCache);
        }

        finalNorm = template[^1];
        lmHead = Weight(random, shape.Vocab, shape.Hidden);
        embedding = lmHead;
        ids = Own(TestTensors.Upload(backend, Enumerable.Range(0, batch).Select(i => random.Next(shape.Vocab)).ToArray(), batch, 1));
        positions = Own(TestTensors.Upload(backend, Enumerable.Repeat(context - 1, batch).ToArray(), batch, 1));
        sequences = Own(TestTensors.Upload(backend, Enumerable.Range(0, batch).ToArray(), batch, 1));
        tables = Own(TestTensors.Upload(backend, Enumerable.Range(0, batch * blocksPerSequence).ToArray(), batch, blocksPerSequence));
        slots = Own(TestTensors.Upload(backend, Enumerable.Range(0, batch).Select(b => b * blocksPerSequence * blockSize + context - 1).ToArray(), batch, 1));
        invFreq = Own(TestTensors.Upload(backend, Enumerable.Range(0, shape.HeadDim / 2).Select(i => (float)(1.0 / Math.Pow(500000.0, 2.0 * i / shape.HeadDim))).ToArray(), 1, shape.HeadDim / 2, DType.F32));
        hidden = Act(shape.Hidden);
        normed = Act(shape.Hidden);
        qkv = Act(shape.QueryWidth + 2 * shape.KvWidth);
        q = Act(shape.QueryWidth);
        k = Act(shape.KvWidth);
        v = Act(shape.KvWidth);
        attention = Act(shape.QueryWidth);
        lse = Own(backend.Allocate(batch, shape.Heads, DType.F32));
        projected = Act(shape.Hidden);
        gateUp = Act(2 * shape.Intermediate);
        gate = Act(shape.Intermediate);
        up = Act(shape.Intermediate);
        act = Act(shape.Intermediate);
        down = Act(shape.Hidden);
        logits = Own(backend.Allocate(batch, shape.Vocab, DType.F32));
        next = Own(backend.Allocate(batch, 1, DType.I32));
        attentionBatch = new AttentionBatch(sequences, positions, tables, context);
        attentionShape = new AttentionShape(shape.Heads, shape.KvHeads, shape.HeadDim, 1 / MathF.Sqrt(shape.HeadDim), 0, blockSize);
        backend.Synchronize();
    }

    /// <summary>Weights + KV bytes one step must read (the bandwidth floor).</summary>
    public long BytesPerStep(int context) => shape.WeightBytes + 2L * shape.Layers * batch * context * shape.KvWidth * 2;

    public void Step()
    {
        backend.Embedding(embedding, ids, hidden);
        foreach (var layer in layers)
        {
            var w = layer.Weights;
            backend.RmsNorm(hidden, layer.Norm, 1e-5f, normed);
            if (packed)
            {
                backend.MatMul(normed, w[0], null, qkv);
                backend.RopeWriteQkv(qkv, shape.HeadDim, positions, invFreq, 1f, q, layer.KeyCache, layer.ValueCache, slots);
            }
            else
            {
                backend.MatMul(normed, w[0], null, q);
                backend.MatMul(normed, w[1], null, k);
                backend.MatMul(normed, w[2], null, v);
                backend.Rope(q, shape.HeadDim, positions, invFreq, 1f);
                backend.Rope(k, shape.HeadDim, positions, invFreq, 1f);
                backend.WriteKv(k, v, layer.KeyCache, layer.ValueCache, slots);
            }

            backend.PagedAttention(q, layer.KeyCache, layer.ValueCache, attentionBatch, attentionShape, attention, lse);
            backend.MatMul(attention, packed ? w[1] : w[3], null, projected);
            backend.Add(hidden, projected);
            backend.RmsNorm(hidden, layer.Norm, 1e-5f, normed);
            if (packed)
            {
                backend.MatMul(normed, w[2], null, gateUp);
                backend.SwiGlu(gateUp, act);
            }
            else
            {
                backend.MatMul(normed, w[4], null, gate);
                backend.MatMul(normed, w[5], null, up);
                backend.SiluMul(gate, up, act);
            }

            backend.MatMul(act, packed ? w[3] : w[6], null, down);
            backend.Add(hidden, down);
        }

        backend.RmsNorm(hidden, finalNorm, 1e-5f, normed);
        backend.MatMul(normed, lmHead, null, logits);
        backend.Argmax(logits, next);
    }

    public void Dispose()
    {
        foreach (var tensor in owned)
            tensor.Dispose();
    }

    /// <summary>Random bf16 weights; large ones tile a 4M-value random pattern (drawing 500M values would take minutes).</summary>
    private DeviceTensor Weight(Random random, int rows, int cols)
    {
        const int pattern = 1 << 22;
        long count = (long)rows * cols;
        var values = TestTensors.Bf16Random(random, (int)Math.Min(count, pattern), 0.05f);
        var bytes = new byte[count * 2];
        var tile = KernelChecks.Bf16Bytes(values);
        for (long offset = 0; offset < bytes.LongLength; offset += tile.Length)
            Array.Copy(tile, 0, bytes, offset, Math.Min(tile.Length, bytes.LongLength - offset));
        return Own(backend.LoadWeight(bytes, DType.BF16, rows, cols));
    }

    private DeviceTensor Act(int cols) => Own(backend.Allocate(batch, cols));

    private DeviceTensor Own(DeviceTensor tensor)
    {
        owned.Add(tensor);
        return tensor;
    }

    /// <summary>A layer's matrices in template order (see the constructor), its norm weight (both norms share it) and its KV pools.</summary>
    private sealed record Layer(DeviceTensor[] Weights, DeviceTensor Norm, DeviceTensor KeyCache, DeviceTensor ValueCache);
}
