namespace InferMesh.Kernels;

/// <summary>Static attention geometry of one model.</summary>
/// <param name="NumHeads">Query heads.</param>
/// <param name="NumKvHeads">Key/value heads (GQA/MQA when fewer than query heads).</param>
/// <param name="HeadDim">Features per head.</param>
/// <param name="Scale">Score scale, normally 1/sqrt(HeadDim).</param>
/// <param name="SlidingWindow">0 = full causal; otherwise a query at position p sees keys in (p - window, p].</param>
/// <param name="BlockSize">Tokens per KV block (paged cache).</param>
public sealed record AttentionShape(int NumHeads, int NumKvHeads, int HeadDim, float Scale, int SlidingWindow, int BlockSize)
{
    public int QueryWidth => NumHeads * HeadDim;

    public int KvWidth => NumKvHeads * HeadDim;
}
