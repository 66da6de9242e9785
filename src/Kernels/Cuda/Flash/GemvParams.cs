using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>The by-value parameter block of the GEMV kernels; field order and layout match <c>GemvParams</c> in gemv.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GemvParams
{
    public IntPtr Input;
    public IntPtr Weight;
    public IntPtr Output;

    /// <summary>Rows of x and y (1..8).</summary>
    public int Rows;

    /// <summary>Output features: weight rows.</summary>
    public int OutFeatures;

    /// <summary>Input features: a multiple of 8.</summary>
    public int InFeatures;

    /// <summary>Warps that divide one 16-row tile's input features between them (a power of two, at most 16).</summary>
    public int SplitK;

    /// <summary>Input features per split: a multiple of 128 (whole iterations of the kernel's loop).</summary>
    public int SplitLength;
}
