namespace InferMesh.Kernels.Cuda;

/// <summary>Scalar geometry handed to the attention kernels by value (one kernel parameter instead of fourteen).</summary>
internal struct AttentionParams
{
    public int NumHeads;
    public int NumKvHeads;
    public int HeadDim;
    public float Scale;

    /// <summary>Gemma 2's attn_logit_softcapping applied to the scaled scores, or 0 for none.</summary>
    public float SoftCap;
    public int Window;
    public int BlockSize;

    /// <summary>Columns of the block table (blocks per sequence it can hold).</summary>
    public int MaxBlocks;

    /// <summary>Query heads of one KV group handled by one thread block.</summary>
    public int HeadsPerBlock;

    /// <summary>Thread blocks per KV group (ceil(group / HeadsPerBlock)).</summary>
    public int HeadBlocks;

    /// <summary>Keys staged in shared memory per step.</summary>
    public int KeyTile;

    /// <summary>Decode: keys per split (fixed, so a row's result does not depend on the batch). Prefill: query rows per block.</summary>
    public int SplitSize;

    public int NumSplits;

    public int Rows;

    /// <summary>Decode: 1 when rows come from a row map (a subset of the batch), 0 when row i is block row i.</summary>
    public int UseRowMap;
}
