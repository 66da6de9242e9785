using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace InferMesh.Kernels.Cpu;

/// <summary>
/// The few vector operations the dot kernels need, over one register width, so <see cref="CpuDot{TVector}"/> is
/// written once for 256- and 512-bit registers. Each operation has a single IEEE result.
/// </summary>
internal interface ICpuVector<TSelf>
    where TSelf : struct, ICpuVector<TSelf>
{
    static abstract int Lanes { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf Load(ref float source, int offset);

    static abstract TSelf Broadcast(float value);

    static abstract void Store(TSelf value, ref float destination, int offset);

    /// <summary>a·b + c rounded once.</summary>
    static abstract TSelf FusedMultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>Sum of the lanes in a fixed tree (halves added until four lanes, then (0+2)+(1+3)).</summary>
    static abstract float Sum(TSelf value);
}

internal readonly struct CpuVector256 : ICpuVector<CpuVector256>
{
    private readonly Vector256<float> _value;

    private CpuVector256(Vector256<float> value) => _value = value;

    public static int Lanes => Vector256<float>.Count;

    public static CpuVector256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CpuVector256 Load(ref float source, int offset) => new(Vector256.LoadUnsafe(ref source, (nuint)offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CpuVector256 Broadcast(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(CpuVector256 value, ref float destination, int offset) => value._value.StoreUnsafe(ref destination, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CpuVector256 FusedMultiplyAdd(CpuVector256 a, CpuVector256 b, CpuVector256 c) =>
        new(Vector256.FusedMultiplyAdd(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(CpuVector256 value) => CpuVector128Sum.Of(value._value.GetLower() + value._value.GetUpper());
}

internal readonly struct CpuVector512 : ICpuVector<CpuVector512>
{
    private readonly Vector512<float> _value;

    private CpuVector512(Vector512<float> value) => _value = value;

    public static int Lanes => Vector512<float>.Count;

    public static CpuVector512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CpuVector512 Load(ref float source, int offset) => new(Vector512.LoadUnsafe(ref source, (nuint)offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CpuVector512 Broadcast(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(CpuVector512 value, ref float destination, int offset) => value._value.StoreUnsafe(ref destination, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CpuVector512 FusedMultiplyAdd(CpuVector512 a, CpuVector512 b, CpuVector512 c) =>
        new(Vector512.FusedMultiplyAdd(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(CpuVector512 value)
    {
        Vector256<float> half = value._value.GetLower() + value._value.GetUpper();
        return CpuVector128Sum.Of(half.GetLower() + half.GetUpper());
    }
}

internal static class CpuVector128Sum
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector128<float> v) => (v.GetElement(0) + v.GetElement(2)) + (v.GetElement(1) + v.GetElement(3));
}
