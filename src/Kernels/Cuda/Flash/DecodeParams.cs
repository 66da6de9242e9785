using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>The by-value parameter block of the paged decode kernels; field order and layout match <c>DecodeParams</c> in paged_decode_attention.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DecodeParams
{
    public IntPtr Queries;
    public IntPtr KeyCache;
    public IntPtr ValueCache;
    public IntPtr Output;
    public IntPtr Lse;
    public IntPtr PartialOutput;
    public IntPtr PartialLse;
    public IntPtr QuerySequence;
    public IntPtr QueryPosition;
    public IntPtr BlockTables;
    public IntPtr RowMap;
    public int NumHeads;
    public int NumKvHeads;
    public int BlockSize;
    public int MaxBlocks;
    public int Window;
    public int SplitSize;
    public int NumSplits;
    public int UseRowMap;

    /// <summary>The softmax scale times log2(e): the kernel exponentiates with exp2.</summary>
    public float ScaleLog2;
}
