namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>Geometry of a Llama-family model, enough to size every kernel of a decoder layer.</summary>
internal sealed record LlamaShape(string Name, int Layers, int Hidden, int Heads, int KvHeads, int HeadDim, int Intermediate, int Vocab)
{
    public static readonly LlamaShape Llama32_1B = new("llama-3.2-1b", 16, 2048, 32, 8, 64, 8192, 128_256);

    public static readonly LlamaShape Llama31_8B = new("llama-3.1-8b", 32, 4096, 32, 8, 128, 14_336, 128_256);

    public int QueryWidth => Heads * HeadDim;

    public int KvWidth => KvHeads * HeadDim;

    /// <summary>Bytes of bf16 weights one decode step reads: every layer's matrices and norms, the final norm and the LM head (embedding rows are negligible).</summary>
    public long WeightBytes => 2L * (Layers * ((long)Hidden * (QueryWidth + 2 * KvWidth) + (long)QueryWidth * Hidden + 3L * Hidden * Intermediate + 2L * Hidden) + Hidden + (long)Vocab * Hidden);

    /// <summary>Multiply-adds ×2 of the linear layers per token (the figure prefill TFLOP/s are quoted in).</summary>
    public long LinearFlopsPerToken => 2L * (Layers * ((long)Hidden * (QueryWidth + 2 * KvWidth) + (long)QueryWidth * Hidden + 3L * Hidden * Intermediate) + (long)Vocab * Hidden);
}
