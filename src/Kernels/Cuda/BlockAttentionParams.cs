namespace InferMesh.Kernels.Cuda;

/// <summary>Scalar geometry of one block-attention launch (queries over an explicit key block), passed by value.</summary>
internal struct BlockAttentionParams
{
    public int NumHeads;
    public int NumKvHeads;
    public int HeadDim;
    public float Scale;
    public int Window;

    /// <summary>First query row this launch covers (its grid covers the rows after it).</summary>
    public int RowStart;

    /// <summary>First key row of the range the launch attends over.</summary>
    public int KeyStart;

    /// <summary>Keys in the range (0: every covered row gets output 0 and LSE −∞).</summary>
    public int KeyCount;
}
