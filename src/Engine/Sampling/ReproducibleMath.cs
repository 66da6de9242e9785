using System.Numerics;
using System.Runtime.Intrinsics;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// exp and sums whose results do not depend on the machine, so that a seeded request picks the same token on any
/// CPU given the same logits. TensorPrimitives.Exp and MathF.Exp may differ in the last bit between instruction sets
/// and C runtimes, and a vectorised sum changes its order with the vector width. Here every lane runs the same
/// sequence of IEEE-754 single operations (which are correctly rounded everywhere; .NET never fuses a*b+c on its own),
/// and sums run in a fixed order.
/// </summary>
internal static class ReproducibleMath
{
    // Cephes expf (http://www.netlib.org/cephes/, single/expf.c): Cody-Waite reduction x = k·ln2 + r, then a degree-7
    // polynomial for exp(r) on |r| ≤ ln2/2; relative error below 2e-7.
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    /// <summary>Adding then subtracting 1.5·2^23 rounds a float to the nearest integer (ties to even).</summary>
    private const float RoundingBias = 12582912f;

    /// <summary>ln(smallest normal float): below it the result is 0 (a sampling weight that small is no weight).</summary>
    private const float Underflow = -87.33654f;

    /// <summary>exp(x) for x ≤ 0; 0 below <see cref="Underflow"/> and for -∞. exp(0) is exactly 1.</summary>
    public static float Exp(float x)
    {
        float clamped = MathF.Max(x, Underflow - 1f);
        float k = clamped * Log2E + RoundingBias - RoundingBias;
        float r = clamped - k * Ln2Hi - k * Ln2Lo;
        float z = r * r;
        float y = (((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5) * z + r + 1f;
        float scale = BitConverter.Int32BitsToSingle(((int)k + 127) << 23);
        return clamped < Underflow ? 0f : y * scale;
    }

    /// <summary>destination[i] = Exp(source[i] − shift), where shift ≥ every source value. Same bits as <see cref="Exp"/>.</summary>
    public static void ExpShifted(ReadOnlySpan<float> source, float shift, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("destination is shorter than source", nameof(destination));
        }

        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var shiftV = new Vector<float>(shift);
            var floor = new Vector<float>(Underflow - 1f);
            var underflow = new Vector<float>(Underflow);
            var bias = new Vector<float>(RoundingBias);
            var exponentBias = new Vector<int>(127);
            var log2E = new Vector<float>(Log2E);
            var ln2Hi = new Vector<float>(Ln2Hi);
            var ln2Lo = new Vector<float>(Ln2Lo);
            var p0 = new Vector<float>(P0);
            var p1 = new Vector<float>(P1);
            var p2 = new Vector<float>(P2);
            var p3 = new Vector<float>(P3);
            var p4 = new Vector<float>(P4);
            var p5 = new Vector<float>(P5);
            for (; i <= source.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var x = new Vector<float>(source[i..]) - shiftV;
                var clamped = Vector.Max(x, floor);
                var k = clamped * log2E + bias - bias;
                var r = clamped - k * ln2Hi - k * ln2Lo;
                var z = r * r;
                var y = (((((p0 * r + p1) * r + p2) * r + p3) * r + p4) * r + p5) * z + r + Vector<float>.One;
                var scale = Vector.AsVectorSingle(Vector.ShiftLeft(Vector.ConvertToInt32(k) + exponentBias, 23));
                var result = Vector.ConditionalSelect(Vector.LessThan(clamped, underflow), Vector<float>.Zero, y * scale);
                result.CopyTo(destination[i..]);
            }
        }

        for (; i < source.Length; i++)
        {
            destination[i] = Exp(source[i] - shift);
        }
    }

    /// <summary>
    /// Sum in double with eight interleaved accumulators (element i goes to accumulator i mod 8, the last n mod 8
    /// elements to a ninth), combined in a fixed order. Vector256 has the same per-lane results on every machine,
    /// emulated or not, so the sum is the same everywhere.
    /// </summary>
    public static double Sum(ReadOnlySpan<float> values)
    {
        var low = Vector256<double>.Zero;
        var high = Vector256<double>.Zero;
        int i = 0;
        for (; i <= values.Length - 8; i += 8)
        {
            var (lower, upper) = Vector256.Widen(Vector256.Create(values.Slice(i, 8)));
            low += lower;
            high += upper;
        }

        double tail = 0;
        for (; i < values.Length; i++)
        {
            tail += values[i];
        }

        var lanes = low + high;
        return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + tail;
    }
}
