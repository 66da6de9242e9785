using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>The by-value parameter block of the flash attention kernels; field order and layout match <c>FlashParams</c> in flash_attention.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlashParams
{
    public IntPtr Queries;
    public IntPtr Keys;
    public IntPtr Values;
    public IntPtr Output;
    public IntPtr Lse;

    /// <summary>I32 per query row, or zero for <see cref="QueryPositionBase"/> + row.</summary>
    public IntPtr QueryPositions;

    /// <summary>I32 per key row, or zero for <see cref="KeyPositionBase"/> + row.</summary>
    public IntPtr KeyPositions;
    public int QueryPositionBase;
    public int KeyPositionBase;
    public int Rows;
    public int KeyCount;
    public int QueryStride;
    public int KeyStride;
    public int ValueStride;
    public int OutputStride;
    public int NumHeads;
    public int NumKvHeads;
    public int Window;

    /// <summary>The softmax scale times log2(e): the kernel exponentiates with exp2.</summary>
    public float ScaleLog2;
}
