namespace InferMesh.Kernels;

/// <summary>
/// The seam between the Engine and one compute device. The Engine calls these operations in model order and never
/// asks which device it runs on; the CPU backend computes in fp32, the CUDA backend in bf16/fp16 or fp32 storage
/// (<see cref="ActivationType"/>) with fp32 accumulation. Operations are enqueued in order on the device's stream; <see cref="Synchronize"/> waits for them,
/// and downloads synchronize implicitly.
/// Every operation works row by row: a row's result never depends on which other rows share the call, so a
/// sequence gets the same numbers alone, batched or in prefill chunks of any size.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>Human-readable device name, e.g. "cpu (16 threads)" or "cuda:0 NVIDIA H100".</summary>
    string DeviceName { get; }

    /// <summary>Type used for activations when <see cref="Allocate"/> is given no type.</summary>
    DType ActivationType { get; }

    /// <summary>Type the KV cache is stored in.</summary>
    DType CacheType { get; }

    /// <summary>Bytes of device memory free for allocations now (host RAM for the CPU backend).</summary>
    long FreeMemoryBytes { get; }

    /// <summary>Whether tensors live in host RAM shared with the rest of the machine (the CPU backend), so memory-based sizing must leave it room.</summary>
    bool SharesHostMemory { get; }

    DeviceTensor Allocate(int rows, int cols, DType? dtype = null);

    /// <summary>Creates a weight tensor from raw little-endian bytes of <paramref name="sourceType"/>; the backend picks its storage type.</summary>
    DeviceTensor LoadWeight(ReadOnlySpan<byte> raw, DType sourceType, int rows, int cols);

    void Upload(ReadOnlySpan<float> source, DeviceTensor destination);

    void Upload(ReadOnlySpan<int> source, DeviceTensor destination);

    /// <summary>Copies a tensor to the host as fp32 (converting from its storage type).</summary>
    void Download(DeviceTensor source, Span<float> destination);

    void Download(DeviceTensor source, Span<int> destination);

    void Copy(DeviceTensor source, DeviceTensor destination);

    /// <summary>output[i] = table[ids[i]].</summary>
    void Embedding(DeviceTensor table, DeviceTensor ids, DeviceTensor output);

    /// <summary>output[i] = x[i] / sqrt(mean(x[i]²) + eps) · weight (weight is [1×cols]).</summary>
    void RmsNorm(DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output);

    /// <summary>
    /// In place on a packed q|k|v tensor [rows × (queryHeads + 2·kvHeads)·headDim]: RMSNorm over each head's slice of the
    /// query heads (scaled by <paramref name="queryWeight"/>, [headDim]) and of the key heads (<paramref name="keyWeight"/>);
    /// value heads untouched. Qwen3's q_norm / k_norm, applied before RoPE (transformers' modeling_qwen3.py, Qwen3Attention).
    /// </summary>
    void HeadRmsNorm(DeviceTensor qkv, DeviceTensor queryWeight, DeviceTensor keyWeight, int headDim, int queryHeads, int kvHeads, float eps);

    /// <summary>accumulator += x, elementwise (residual connections).</summary>
    void Add(DeviceTensor accumulator, DeviceTensor x);

    /// <summary>
    /// <see cref="Add"/> then <see cref="RmsNorm"/> of the sum: accumulator += x; output = RmsNorm(accumulator) —
    /// one kernel for the residual add that ends a sublayer and the norm that starts the next (the norm reads the
    /// sum as stored, so the result equals the two separate ops).
    /// </summary>
    void AddRmsNorm(DeviceTensor accumulator, DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output);

    /// <summary>y = x · weightᵀ (+ bias): x is [T×in], weight is [out×in] as Hugging Face stores linear layers, bias is [1×out].</summary>
    void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y);

    /// <summary>output = silu(gate) · up, elementwise (SwiGLU).</summary>
    void SiluMul(DeviceTensor gate, DeviceTensor up, DeviceTensor output);

    /// <summary>
    /// Rotates each head of x in place by the rotary embedding of its row's position (the rotate-half form of
    /// Hugging Face Llama): angle = position · invFreq[i], cos/sin multiplied by <paramref name="attentionScaling"/>.
    /// invFreq is F32 [1×r/2] for a rotary dimension r ≤ headDim: the first r values of each head rotate (pairs i and
    /// i + r/2) and the rest pass through unchanged (partial rotary, as transformers' Phi-3 / GPT-NeoX q_rot | q_pass).
    /// </summary>
    void Rope(DeviceTensor x, int headDim, DeviceTensor positions, DeviceTensor invFreq, float attentionScaling);

    /// <summary>Writes key/value rows into the cache pools at the given slots (I32 [T×1]); a negative slot skips the row.</summary>
    void WriteKv(DeviceTensor keys, DeviceTensor values, DeviceTensor keyCache, DeviceTensor valueCache, DeviceTensor slots);

    /// <summary>
    /// <see cref="Rope"/> and <see cref="WriteKv"/> of a fused q/k/v projection in one pass over its packed rows:
    /// qkv is [T × (NumHeads + 2·NumKvHeads)·headDim], each row q | k | v. queries [T × NumHeads·headDim] receives q
    /// rotated; k rotated and v go to rows slots[t] (I32 [T×1]) of keyCache and valueCache [slots × NumKvHeads·headDim].
    /// Same numbers as Rope then WriteKv on the separate parts; a negative slot skips the row, and slots must be distinct.
    /// </summary>
    void RopeWriteQkv(DeviceTensor qkv, int headDim, DeviceTensor positions, DeviceTensor invFreq, float attentionScaling, DeviceTensor queries, DeviceTensor keyCache, DeviceTensor valueCache, DeviceTensor slots);

    /// <summary>output = silu(gate) · up over a fused gate|up projection: gateUp is [T × 2I] with gate in columns [0, I) and up in [I, 2I); output is [T × I]. Same numbers as <see cref="SiluMul"/> on the halves.</summary>
    void SwiGlu(DeviceTensor gateUp, DeviceTensor output);

    /// <summary>
    /// output = gelu_tanh(gate) · up over a fused gate|up projection (layout as <see cref="SwiGlu"/>), with
    /// gelu_tanh(g) = 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))): torch's gelu(approximate="tanh"), transformers'
    /// "gelu_pytorch_tanh", the Gemma MLP's activation (GemmaMLP / Gemma2MLP / Gemma3MLP).
    /// </summary>
    void GeluTanhGlu(DeviceTensor gateUp, DeviceTensor output);

    /// <summary>x *= factor, elementwise, in place (Gemma's embedding scale √hidden_size).</summary>
    void Scale(DeviceTensor x, float factor);

    /// <summary>x = tanh(x / cap) · cap, elementwise, in place (Gemma 2's final_logit_softcapping on the logits).</summary>
    void SoftCap(DeviceTensor x, float cap);

    /// <summary>
    /// Whether <see cref="PagedAttention"/> and <see cref="BlockAttention"/> implement every feature of
    /// <paramref name="shape"/> (e.g. <see cref="AttentionShape.SoftCap"/>), so a model can be refused at load rather
    /// than fail mid-request.
    /// </summary>
    bool SupportsAttention(AttentionShape shape) => true;

    /// <summary>Whether <see cref="BlockAttention"/> can compute attention of <paramref name="shape"/> (TokenRing prefill checks it up front).</summary>
    bool SupportsBlockAttention(AttentionShape shape) => true;

    /// <summary>
    /// Causal attention of every query row over its sequence's paged KV (see <see cref="AttentionBatch"/>).
    /// output is [T × NumHeads·HeadDim]; lse is F32 [T × NumHeads], the natural log-sum-exp of the scaled scores,
    /// so partial results over disjoint key sets can be merged exactly.
    /// </summary>
    void PagedAttention(DeviceTensor queries, DeviceTensor keyCache, DeviceTensor valueCache, AttentionBatch batch, AttentionShape shape, DeviceTensor output, DeviceTensor lse);

    /// <summary>
    /// Dense attention of every query row over an explicit block of key/value rows (sequence-parallel prefill, where
    /// keys arrive from other devices rather than from a paged cache). queries is [Q × NumHeads·HeadDim] with absolute
    /// positions queryPositions I32 [Q×1]; keys and values are [K × NumKvHeads·HeadDim] with keyPositions I32 [K×1].
    /// A key is visible to a query when its position is ≤ the query's and, with a sliding window, &gt; the query's minus
    /// the window. output is [Q × NumHeads·HeadDim] and lse F32 [Q × NumHeads] (natural log-sum-exp of the scaled
    /// visible scores); a row and head that sees no key gets output 0 and lse −∞, so merging it changes nothing.
    /// </summary>
    void BlockAttention(DeviceTensor queries, DeviceTensor queryPositions, DeviceTensor keys, DeviceTensor values, DeviceTensor keyPositions, AttentionShape shape, DeviceTensor output, DeviceTensor lse);

    /// <summary>
    /// Merges a partial attention result over other keys into (outputA, lseA), in place, exactly:
    /// lse = log(e^lseA + e^lseB), out = outA·e^(lseA−lse) + outB·e^(lseB−lse) per row and head
    /// (the merge of FlashAttention-2 / Ring Attention; −∞ on one side leaves the other unchanged).
    /// outputs are [T × NumHeads·headDim], lses F32 [T × NumHeads].
    /// </summary>
    void MergeAttention(DeviceTensor outputA, DeviceTensor lseA, DeviceTensor outputB, DeviceTensor lseB);

    /// <summary>output[i] = source[rowIndices[i]].</summary>
    void GatherRows(DeviceTensor source, DeviceTensor rowIndices, DeviceTensor output);

    /// <summary>
    /// destination[rowIndices[i]] = scales[i] · source[i] (+ destination[rowIndices[i]] when
    /// <paramref name="accumulate"/>) for every row i of source: a mixture-of-experts layer sums each expert's output,
    /// weighted by the router, into the rows of the tokens routed to it. The product is rounded to the element type
    /// before the add, as torch's index_add_ of a scaled expert output. source and destination share one element type
    /// and width; rowIndices I32 [n×1] must be distinct; scales F32 [n×1].
    /// </summary>
    void ScatterScaledRows(DeviceTensor source, DeviceTensor rowIndices, DeviceTensor scales, DeviceTensor destination, bool accumulate);

    /// <summary>ids[i] = argmax of logits row i (lowest index wins ties).</summary>
    void Argmax(DeviceTensor logits, DeviceTensor ids);

    void Synchronize();
}
