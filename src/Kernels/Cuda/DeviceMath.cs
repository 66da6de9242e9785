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

    /// <summary>
    /// tanh through the device exp: 1 − 2/(e^{2y} + 1), which saturates to ±1 without overflow trouble (e^{2y} = ∞
    /// gives 1, 0 gives −1). Near 0 it loses relative precision (absolute error ~1e-7), far below a logit's bf16 step.
    /// </summary>
    public static float Tanh(float y) => 1f - 2f / (Exp(2f * y) + 1f);

    /// <summary>Gemma 2's logit soft cap, tanh(s / cap) · cap; s itself when cap is 0 (no cap).</summary>
    public static float SoftCap(float s, float cap) => cap > 0f ? Tanh(s / cap) * cap : s;
}
