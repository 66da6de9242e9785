namespace InferMesh.Kernels;

/// <summary>Static attention geometry of one model.</summary>
/// <param name="NumHeads">Query heads.</param>
/// <param name="NumKvHeads">Key/value heads (GQA/MQA when fewer than query heads).</param>
/// <param name="HeadDim">Features per head.</param>
/// <param name="Scale">Score scale, normally 1/sqrt(HeadDim).</param>
/// <param name="SlidingWindow">0 = full causal; otherwise a query at position p sees keys in (p - window, p].</param>
/// <param name="BlockSize">Tokens per KV block (paged cache).</param>
/// <param name="SoftCap">
/// 0 = none; otherwise scaled scores s become tanh(s / SoftCap) · SoftCap before the softmax (Gemma 2's
/// attn_logit_softcapping, transformers' eager_attention_forward in modeling_gemma2.py), and the LSE is of the capped scores.
/// </param>
public sealed record AttentionShape(int NumHeads, int NumKvHeads, int HeadDim, float Scale, int SlidingWindow, int BlockSize, float SoftCap = 0)
{
    public int QueryWidth => NumHeads * HeadDim;

    public int KvWidth => NumKvHeads * HeadDim;
}
