using System.Numerics;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// xoshiro256** seeded through SplitMix64, bit for bit the reference C code of Blackman and Vigna
/// (https://prng.di.unimi.it/xoshiro256starstar.c, https://prng.di.unimi.it/splitmix64.c). Our own rather than
/// <see cref="System.Random"/> because the runtime does not promise that a seeded Random yields the same numbers
/// across .NET versions, and a request's seed must give the same tokens on any machine, forever.
/// </summary>
internal sealed class Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>The four state words are the first four SplitMix64 outputs from state <c>(ulong)seed</c>.</summary>
    public Xoshiro256StarStar(long seed)
    {
        ulong splitMix = unchecked((ulong)seed);
        _s0 = SplitMix64(ref splitMix);
        _s1 = SplitMix64(ref splitMix);
        _s2 = SplitMix64(ref splitMix);
        _s3 = SplitMix64(ref splitMix);
    }

    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1): the top 53 bits times 2^-53 (exact in a double, as Vigna recommends).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
