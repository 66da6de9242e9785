using InferMesh.Kernels;
using InferMesh.Kernels.Cpu;
using static InferMesh.Kernels.Tests.Cuda.TestTensors;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// BlockAttention and MergeAttention of a device backend against their CPU twins (CpuBlockAttention,
/// CpuAttentionMerge) on the same random inputs, rounded to the device's activation type so both sides see identical
/// values. Outputs are compared by relative error, LSEs element by element, and rows that see no key must be exactly
/// 0 with LSE −∞ on both sides.
/// </summary>
internal static class BlockAttentionChecks
{
    /// <summary>Probabilities and outputs are stored in 16 bits: about 3e-3 relative error each.</summary>
    public const double OutputTolerance = 1e-2;

    /// <summary>Positions of member <paramref name="member"/> of a zig-zag split of <paramref name="length"/> tokens over <paramref name="members"/>.</summary>
    public static int[] ZigZag(int length, int members, int member)
    {
        int chunks = 2 * members;
        IEnumerable<int> Chunk(int c) => Enumerable.Range(c * length / chunks, ((c + 1) * length / chunks) - (c * length / chunks));
        return [.. Chunk(member), .. Chunk(chunks - 1 - member)];
    }

    public static void MatchesCpu(IComputeBackend device, AttentionShape shape, int[] queryPositions, int[] keyPositions, int seed, bool positionsWrittenOnDevice = false)
    {
        var random = new Random(seed);
        int rows = queryPositions.Length, keys = keyPositions.Length;
        var q = Rounded(device.ActivationType, random, rows * shape.QueryWidth, 3f);
        var k = Rounded(device.ActivationType, random, keys * shape.KvWidth, 1f);
        var v = Rounded(device.ActivationType, random, keys * shape.KvWidth, 1f);
        using var cpu = new CpuBackend(2);
        var (expectedOutput, expectedLse) = Run(cpu, shape, q, queryPositions, k, v, keyPositions, false);
        var (output, lse) = Run(device, shape, q, queryPositions, k, v, keyPositions, positionsWrittenOnDevice);

        string what = $"BlockAttention {device.ActivationType} rows={rows} keys={keys} heads={shape.NumHeads}/{shape.NumKvHeads} dim={shape.HeadDim} window={shape.SlidingWindow}";
        AssertAgree(expectedOutput, expectedLse, output, lse, shape, what);
    }

    /// <summary>
    /// Block attention by the CPU twin over the given positions (exact inputs for <paramref name="type"/>), for
    /// comparison with a device result through <see cref="AssertAgree"/>.
    /// </summary>
    public static (float[] Output, float[] Lse) CpuReference(AttentionShape shape, float[] q, int[] queryPositions, float[] k, float[] v, int[] keyPositions)
    {
        using var cpu = new CpuBackend(2);
        return Run(cpu, shape, q, queryPositions, k, v, keyPositions, false);
    }

    /// <summary>Rows that see no key are 0 with LSE −∞ on both sides; outputs agree by relative error, LSEs element by element.</summary>
    public static void AssertAgree(float[] expectedOutput, float[] expectedLse, float[] output, float[] lse, AttentionShape shape, string what)
    {
        AssertMaskedRowsAgree(expectedOutput, expectedLse, output, lse, shape, what);
        AssertClose(output, expectedOutput, OutputTolerance, what + " output");
        for (int i = 0; i < lse.Length; i++)
        {
            if (!float.IsNegativeInfinity(expectedLse[i]))
                Assert.True(Math.Abs(lse[i] - expectedLse[i]) <= 2e-3 * Math.Max(1, Math.Abs(expectedLse[i])), $"{what}: lse {i} is {lse[i]}, CPU {expectedLse[i]}");
        }
    }

    public static void MergeMatchesCpu(IComputeBackend device, int rows, int heads, int headDim, int seed)
    {
        var random = new Random(seed);
        int width = heads * headDim;
        var outA = Rounded(device.ActivationType, random, rows * width, 1f);
        var outB = Rounded(device.ActivationType, random, rows * width, 1f);
        var lseA = Enumerable.Range(0, rows * heads).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        var lseB = Enumerable.Range(0, rows * heads).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        // Every combination of an empty side: A empty, B empty, both empty.
        lseA[0] = float.NegativeInfinity;
        lseB[Math.Min(1, lseB.Length - 1)] = float.NegativeInfinity;
        lseA[^1] = lseB[^1] = float.NegativeInfinity;
        using var cpu = new CpuBackend(2);
        var expected = Merge(cpu, outA, lseA, outB, lseB, rows, heads, width);
        var actual = Merge(device, outA, lseA, outB, lseB, rows, heads, width);

        string what = $"MergeAttention {device.ActivationType} rows={rows} heads={heads} dim={headDim}";
        AssertClose(actual.Output, expected.Output, OutputTolerance, what + " output");
        for (int i = 0; i < expected.Lse.Length; i++)
        {
            Assert.True(float.IsNegativeInfinity(expected.Lse[i]) == float.IsNegativeInfinity(actual.Lse[i]), $"{what}: lse {i} is {actual.Lse[i]}, CPU {expected.Lse[i]}");
            if (!float.IsNegativeInfinity(expected.Lse[i]))
                Assert.True(Math.Abs(actual.Lse[i] - expected.Lse[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected.Lse[i])), $"{what}: lse {i} is {actual.Lse[i]}, CPU {expected.Lse[i]}");
        }
    }

    /// <summary>Random values exactly representable in <paramref name="type"/>.</summary>
    public static float[] Rounded(DType type, Random random, int count, float scale)
    {
        var values = Bf16Random(random, count, scale);
        if (type == DType.F16)
        {
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)(Half)values[i];
        }

        return values;
    }

    private static (float[] Output, float[] Lse) Run(IComputeBackend b, AttentionShape shape, float[] q, int[] queryPositions, float[] k, float[] v, int[] keyPositions, bool positionsWrittenOnDevice)
    {
        int rows = queryPositions.Length, keys = keyPositions.Length;
        using var tq = Upload(b, q, rows, shape.QueryWidth);
        using var tk = Upload(b, k, keys, shape.KvWidth);
        using var tv = Upload(b, v, keys, shape.KvWidth);
        using var qp = Positions(b, queryPositions, positionsWrittenOnDevice);
        using var kp = Positions(b, keyPositions, positionsWrittenOnDevice);
        using var output = Poisoned(b, rows, shape.QueryWidth);
        using var lse = Poisoned(b, rows, shape.NumHeads, DType.F32);
        b.BlockAttention(tq, qp, tk, tv, kp, shape, output, lse);
        return (Download(b, output), Download(b, lse));
    }

    /// <summary>
    /// Position tensors; with <paramref name="writtenOnDevice"/> a kernel (argmax) writes the tensor before the upload,
    /// so the host no longer knows its values without a download.
    /// </summary>
    private static DeviceTensor Positions(IComputeBackend b, int[] positions, bool writtenOnDevice)
    {
        var tensor = b.Allocate(positions.Length, 1, DType.I32);
        if (writtenOnDevice)
        {
            using var logits = b.Allocate(positions.Length, 3, DType.F32);
            b.Argmax(logits, tensor);
        }

        b.Upload(positions, tensor);
        return tensor;
    }

    private static (float[] Output, float[] Lse) Merge(IComputeBackend b, float[] outA, float[] lseA, float[] outB, float[] lseB, int rows, int heads, int width)
    {
        using var ta = Upload(b, outA, rows, width);
        using var tla = Upload(b, lseA, rows, heads, DType.F32);
        using var tb = Upload(b, outB, rows, width);
        using var tlb = Upload(b, lseB, rows, heads, DType.F32);
        b.MergeAttention(ta, tla, tb, tlb);
        return (Download(b, ta), Download(b, tla));
    }

    private static void AssertMaskedRowsAgree(float[] expectedOutput, float[] expectedLse, float[] output, float[] lse, AttentionShape shape, string what)
    {
        for (int i = 0; i < expectedLse.Length; i++)
        {
            bool empty = float.IsNegativeInfinity(expectedLse[i]);
            Assert.True(empty == float.IsNegativeInfinity(lse[i]), $"{what}: lse {i} (row {i / shape.NumHeads}) is {lse[i]}, CPU {expectedLse[i]}");
            if (!empty)
                continue;
            int start = (i / shape.NumHeads * shape.QueryWidth) + (i % shape.NumHeads * shape.HeadDim);
            for (int d = 0; d < shape.HeadDim; d++)
                Assert.True(output[start + d] == 0f && expectedOutput[start + d] == 0f, $"{what}: row {i / shape.NumHeads} head {i % shape.NumHeads} sees no key but output[{d}] = {output[start + d]}");
        }
    }
}
