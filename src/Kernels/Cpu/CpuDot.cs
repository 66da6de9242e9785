using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Dot products with one fixed reduction order, whatever kernel computes them: lane i of an 8-wide accumulator sums
/// w[k]·x[k] for k ≡ i (mod 8), k &lt; ⌊K/8⌋·8, with fused multiply-adds in ascending k; the lanes are then added
/// pairwise in a fixed tree and the tail k ≥ ⌊K/8⌋·8 is added one by one with fused multiply-adds.
/// The register-blocked kernels (4 weight rows × 1 or 4 token rows) keep one accumulator per output and follow the
/// same order, so an output's bits never depend on how many rows were computed together. Every operation used has a
/// single IEEE result (fused multiply-add included), so the JIT tier or vector width cannot change the bits either.
/// </summary>
internal static class CpuDot
{
    private const int Lanes = 8;

    /// <summary>Σ w[k]·x[k] for k in [0, length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ref float w, ref float x, int length)
    {
        int vectorEnd = length & ~(Lanes - 1);
        Vector256<float> acc = Vector256<float>.Zero;
        for (int k = 0; k < vectorEnd; k += Lanes)
        {
            acc = Vector256.FusedMultiplyAdd(Load(ref w, k), Load(ref x, k), acc);
        }

        return Finish(acc, ref w, ref x, vectorEnd, length);
    }

    /// <summary>y[o] = dot(w row o, x) for 4 weight rows (stride <paramref name="wStride"/>) and one x row.</summary>
    public static void Dot4x1(ref float w, int wStride, ref float x, int length, ref float y)
    {
        ref float w1 = ref Unsafe.Add(ref w, wStride);
        ref float w2 = ref Unsafe.Add(ref w1, wStride);
        ref float w3 = ref Unsafe.Add(ref w2, wStride);
        int vectorEnd = length & ~(Lanes - 1);
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < vectorEnd; k += Lanes)
        {
            Vector256<float> xv = Load(ref x, k);
            a0 = Vector256.FusedMultiplyAdd(Load(ref w, k), xv, a0);
            a1 = Vector256.FusedMultiplyAdd(Load(ref w1, k), xv, a1);
            a2 = Vector256.FusedMultiplyAdd(Load(ref w2, k), xv, a2);
            a3 = Vector256.FusedMultiplyAdd(Load(ref w3, k), xv, a3);
        }

        y = Finish(a0, ref w, ref x, vectorEnd, length);
        Unsafe.Add(ref y, 1) = Finish(a1, ref w1, ref x, vectorEnd, length);
        Unsafe.Add(ref y, 2) = Finish(a2, ref w2, ref x, vectorEnd, length);
        Unsafe.Add(ref y, 3) = Finish(a3, ref w3, ref x, vectorEnd, length);
    }

    /// <summary>
    /// y[t·yStride + o] = dot(w row o, x row t) for 4 weight rows and 4 x rows (strides <paramref name="wStride"/>,
    /// <paramref name="xStride"/>): 16 accumulators, each weight and x vector loaded once per step.
    /// </summary>
    public static void Dot4x4(ref float w, int wStride, ref float x, int xStride, int length, ref float y, int yStride)
    {
        ref float w1 = ref Unsafe.Add(ref w, wStride);
        ref float w2 = ref Unsafe.Add(ref w1, wStride);
        ref float w3 = ref Unsafe.Add(ref w2, wStride);
        ref float x1 = ref Unsafe.Add(ref x, xStride);
        ref float x2 = ref Unsafe.Add(ref x1, xStride);
        ref float x3 = ref Unsafe.Add(ref x2, xStride);
        int vectorEnd = length & ~(Lanes - 1);
        Vector256<float> a00 = Vector256<float>.Zero, a01 = a00, a02 = a00, a03 = a00;
        Vector256<float> a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        Vector256<float> a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        Vector256<float> a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int k = 0; k < vectorEnd; k += Lanes)
        {
            Vector256<float> v0 = Load(ref w, k), v1 = Load(ref w1, k), v2 = Load(ref w2, k), v3 = Load(ref w3, k);
            Vector256<float> xv = Load(ref x, k);
            a00 = Vector256.FusedMultiplyAdd(v0, xv, a00);
            a01 = Vector256.FusedMultiplyAdd(v1, xv, a01);
            a02 = Vector256.FusedMultiplyAdd(v2, xv, a02);
            a03 = Vector256.FusedMultiplyAdd(v3, xv, a03);
            xv = Load(ref x1, k);
            a10 = Vector256.FusedMultiplyAdd(v0, xv, a10);
            a11 = Vector256.FusedMultiplyAdd(v1, xv, a11);
            a12 = Vector256.FusedMultiplyAdd(v2, xv, a12);
            a13 = Vector256.FusedMultiplyAdd(v3, xv, a13);
            xv = Load(ref x2, k);
            a20 = Vector256.FusedMultiplyAdd(v0, xv, a20);
            a21 = Vector256.FusedMultiplyAdd(v1, xv, a21);
            a22 = Vector256.FusedMultiplyAdd(v2, xv, a22);
            a23 = Vector256.FusedMultiplyAdd(v3, xv, a23);
            xv = Load(ref x3, k);
            a30 = Vector256.FusedMultiplyAdd(v0, xv, a30);
            a31 = Vector256.FusedMultiplyAdd(v1, xv, a31);
            a32 = Vector256.FusedMultiplyAdd(v2, xv, a32);
            a33 = Vector256.FusedMultiplyAdd(v3, xv, a33);
        }

        ref float y1 = ref Unsafe.Add(ref y, yStride);
        ref float y2 = ref Unsafe.Add(ref y1, yStride);
        ref float y3 = ref Unsafe.Add(ref y2, yStride);
        y = Finish(a00, ref w, ref x, vectorEnd, length);
        Unsafe.Add(ref y, 1) = Finish(a01, ref w1, ref x, vectorEnd, length);
        Unsafe.Add(ref y, 2) = Finish(a02, ref w2, ref x, vectorEnd, length);
        Unsafe.Add(ref y, 3) = Finish(a03, ref w3, ref x, vectorEnd, length);
        y1 = Finish(a10, ref w, ref x1, vectorEnd, length);
        Unsafe.Add(ref y1, 1) = Finish(a11, ref w1, ref x1, vectorEnd, length);
        Unsafe.Add(ref y1, 2) = Finish(a12, ref w2, ref x1, vectorEnd, length);
        Unsafe.Add(ref y1, 3) = Finish(a13, ref w3, ref x1, vectorEnd, length);
        y2 = Finish(a20, ref w, ref x2, vectorEnd, length);
        Unsafe.Add(ref y2, 1) = Finish(a21, ref w1, ref x2, vectorEnd, length);
        Unsafe.Add(ref y2, 2) = Finish(a22, ref w2, ref x2, vectorEnd, length);
        Unsafe.Add(ref y2, 3) = Finish(a23, ref w3, ref x2, vectorEnd, length);
        y3 = Finish(a30, ref w, ref x3, vectorEnd, length);
        Unsafe.Add(ref y3, 1) = Finish(a31, ref w1, ref x3, vectorEnd, length);
        Unsafe.Add(ref y3, 2) = Finish(a32, ref w2, ref x3, vectorEnd, length);
        Unsafe.Add(ref y3, 3) = Finish(a33, ref w3, ref x3, vectorEnd, length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float source, int offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);

    /// <summary>Fixed-order horizontal sum of the lanes, then the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(Vector256<float> acc, ref float w, ref float x, int vectorEnd, int length)
    {
        Vector128<float> half = acc.GetLower() + acc.GetUpper();
        float sum = (half.GetElement(0) + half.GetElement(2)) + (half.GetElement(1) + half.GetElement(3));
        for (int k = vectorEnd; k < length; k++)
        {
            sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref w, k), Unsafe.Add(ref x, k), sum);
        }

        return sum;
    }
}
