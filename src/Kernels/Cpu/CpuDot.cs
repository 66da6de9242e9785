using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// Dot products with one fixed reduction order, whatever kernel computes them: lane i of an L-lane accumulator sums
/// w[k]·x[k] for k ≡ i (mod L), k &lt; ⌊K/L⌋·L, with fused multiply-adds in ascending k; the lanes are then added in a
/// fixed tree (<see cref="ICpuVector{TSelf}.Sum"/>) and the tail k ≥ ⌊K/L⌋·L is added one by one with fused
/// multiply-adds. L is 16 where the runtime reports 512-bit vectors fast (chosen once per process, so the order never
/// changes while it runs), else 8.
/// The register-blocked kernels (4 weight rows × 1 or 4 x rows) keep one accumulator per output and follow the
/// same order, so an output's bits never depend on how many rows were computed together. Every operation used has a
/// single IEEE result (fused multiply-add included), so the JIT tier cannot change the bits either.
/// </summary>
internal static class CpuDot
{
    /// <summary>Whether the kernels use 512-bit vectors (measured ~15% faster GEMM than 256-bit on the AVX-512 EPYC dev box).</summary>
    public static readonly bool Wide = Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ref float w, ref float x, int length) =>
        Wide ? CpuDot<CpuVector512>.Dot(ref w, ref x, length) : CpuDot<CpuVector256>.Dot(ref w, ref x, length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot4x1(ref float w, int wStride, ref float x, int length, ref float y)
    {
        if (Wide)
        {
            CpuDot<CpuVector512>.Dot4x1(ref w, wStride, ref x, length, ref y);
        }
        else
        {
            CpuDot<CpuVector256>.Dot4x1(ref w, wStride, ref x, length, ref y);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot4x4(ref float w, int wStride, ref float x, int xStride, int length, ref float y, int yStride)
    {
        if (Wide)
        {
            CpuDot<CpuVector512>.Dot4x4(ref w, wStride, ref x, xStride, length, ref y, yStride);
        }
        else
        {
            CpuDot<CpuVector256>.Dot4x4(ref w, wStride, ref x, xStride, length, ref y, yStride);
        }
    }

    /// <summary>acc[i] = scale·v[i] + acc[i], each element one fused multiply-add (same bits in vector and scalar code).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(ref float acc, float scale, ref float v, int length)
    {
        if (Wide)
        {
            CpuDot<CpuVector512>.AddScaled(ref acc, scale, ref v, length);
        }
        else
        {
            CpuDot<CpuVector256>.AddScaled(ref acc, scale, ref v, length);
        }
    }
}

/// <summary>The kernels of <see cref="CpuDot"/> for one vector width.</summary>
internal static class CpuDot<TVector>
    where TVector : struct, ICpuVector<TVector>
{

    /// <summary>Σ w[k]·x[k] for k in [0, length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ref float w, ref float x, int length)
    {
        int vectorEnd = length - (length % TVector.Lanes);
        TVector acc = TVector.Zero;
        for (int k = 0; k < vectorEnd; k += TVector.Lanes)
        {
            acc = TVector.FusedMultiplyAdd(Load(ref w, k), Load(ref x, k), acc);
        }

        return Finish(acc, ref w, ref x, vectorEnd, length);
    }

    /// <summary>y[o] = dot(w row o, x) for 4 weight rows (stride <paramref name="wStride"/>) and one x row.</summary>
    public static void Dot4x1(ref float w, int wStride, ref float x, int length, ref float y)
    {
        ref float w1 = ref Unsafe.Add(ref w, wStride);
        ref float w2 = ref Unsafe.Add(ref w1, wStride);
        ref float w3 = ref Unsafe.Add(ref w2, wStride);
        int vectorEnd = length - (length % TVector.Lanes);
        TVector a0 = TVector.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < vectorEnd; k += TVector.Lanes)
        {
            TVector xv = Load(ref x, k);
            a0 = TVector.FusedMultiplyAdd(Load(ref w, k), xv, a0);
            a1 = TVector.FusedMultiplyAdd(Load(ref w1, k), xv, a1);
            a2 = TVector.FusedMultiplyAdd(Load(ref w2, k), xv, a2);
            a3 = TVector.FusedMultiplyAdd(Load(ref w3, k), xv, a3);
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
        int vectorEnd = length - (length % TVector.Lanes);
        TVector a00 = TVector.Zero, a01 = a00, a02 = a00, a03 = a00;
        TVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        TVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        TVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int k = 0; k < vectorEnd; k += TVector.Lanes)
        {
            TVector v0 = Load(ref w, k), v1 = Load(ref w1, k), v2 = Load(ref w2, k), v3 = Load(ref w3, k);
            TVector xv = Load(ref x, k);
            a00 = TVector.FusedMultiplyAdd(v0, xv, a00);
            a01 = TVector.FusedMultiplyAdd(v1, xv, a01);
            a02 = TVector.FusedMultiplyAdd(v2, xv, a02);
            a03 = TVector.FusedMultiplyAdd(v3, xv, a03);
            xv = Load(ref x1, k);
            a10 = TVector.FusedMultiplyAdd(v0, xv, a10);
            a11 = TVector.FusedMultiplyAdd(v1, xv, a11);
            a12 = TVector.FusedMultiplyAdd(v2, xv, a12);
            a13 = TVector.FusedMultiplyAdd(v3, xv, a13);
            xv = Load(ref x2, k);
            a20 = TVector.FusedMultiplyAdd(v0, xv, a20);
            a21 = TVector.FusedMultiplyAdd(v1, xv, a21);
            a22 = TVector.FusedMultiplyAdd(v2, xv, a22);
            a23 = TVector.FusedMultiplyAdd(v3, xv, a23);
            xv = Load(ref x3, k);
            a30 = TVector.FusedMultiplyAdd(v0, xv, a30);
            a31 = TVector.FusedMultiplyAdd(v1, xv, a31);
            a32 = TVector.FusedMultiplyAdd(v2, xv, a32);
            a33 = TVector.FusedMultiplyAdd(v3, xv, a33);
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

    public static void AddScaled(ref float acc, float scale, ref float v, int length)
    {
        int vectorEnd = length - (length % TVector.Lanes);
        TVector s = TVector.Broadcast(scale);
        for (int i = 0; i < vectorEnd; i += TVector.Lanes)
        {
            TVector.Store(TVector.FusedMultiplyAdd(s, Load(ref v, i), Load(ref acc, i)), ref acc, i);
        }

        for (int i = vectorEnd; i < length; i++)
        {
            Unsafe.Add(ref acc, i) = MathF.FusedMultiplyAdd(scale, Unsafe.Add(ref v, i), Unsafe.Add(ref acc, i));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Load(ref float source, int offset) => TVector.Load(ref source, offset);

    /// <summary>Fixed-order horizontal sum of the lanes, then the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(TVector acc, ref float w, ref float x, int vectorEnd, int length)
    {
        float sum = TVector.Sum(acc);
        for (int k = vectorEnd; k < length; k++)
        {
            sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref w, k), Unsafe.Add(ref x, k), sum);
        }

        return sum;
    }
}
