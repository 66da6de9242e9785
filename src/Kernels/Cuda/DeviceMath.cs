using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// exp and log for kernels. ILGPU's PTX backend has no intrinsic for MathF.Exp/Log (only with ILGPU.Algorithms),
/// but maps 2^x and log2 to the hardware ex2.approx/lg2.approx instructions (about 2 ulp), so go through base 2.
/// </summary>
internal static class DeviceMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2 = 0.693147180559945309f;

    public static float Exp(float x) => IntrinsicMath.CPUOnly.Exp2(x * Log2E);

    public static float Log(float x) => IntrinsicMath.CPUOnly.Log2(x) * Ln2;
}
