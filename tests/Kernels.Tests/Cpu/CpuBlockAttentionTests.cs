using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>
/// BlockAttention (queries over an explicit key block, masked by absolute positions) and MergeAttention against a
/// double-precision softmax written from the definition.
/// </summary>
public sealed class CpuBlockAttentionTests
{
    public static TheoryData<string, int, int, int, int> Shapes() => new()
    {
        { "multi-head", 4, 4, 16, 0 },
        { "grouped-query", 8, 2, 32, 0 },
        { "odd head dim", 2, 1, 7, 0 },
        { "sliding window", 4, 2, 16, 5 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BlockAttention_matches_double_reference_with_positions_in_any_order(string name, int heads, int kvHeads, int headDim, int window)
    {
        _ = name;
        var shape = new AttentionShape(heads, kvHeads, headDim, 1f / MathF.Sqrt(headDim), window, 16);
        int[] queryPositions = [3, 40, 17, 25, 0, 33];
        int[] keyPositions = Enumerable.Range(0, 30).Select(i => (i * 7) % 30).ToArray(); // a permutation of 0..29
        using var backend = new CpuBackend(threads: 2);

        (float[] output, float[] lse) = Run(backend, shape, queryPositions, keyPositions, seed: 10);

        (double[] expectedOutput, double[] expectedLse) = Reference(shape, queryPositions, keyPositions, seed: 10);
        CpuTestData.Close(expectedOutput, output, 2e-6, 1e-5);
        CloseWithInfinities(expectedLse, lse);
    }

    [Fact]
    public void Soft_capped_scores_match_the_double_reference()
    {
        var shape = new AttentionShape(4, 2, 16, 1f, 0, 16, SoftCap: 1.5f);
        int[] queryPositions = [3, 40, 17, 25];
        int[] keyPositions = Enumerable.Range(0, 30).Select(i => (i * 7) % 30).ToArray();
        using var backend = new CpuBackend(threads: 2);

        (float[] output, float[] lse) = Run(backend, shape, queryPositions, keyPositions, seed: 12);

        (double[] expectedOutput, double[] expectedLse) = Reference(shape, queryPositions, keyPositions, seed: 12);
        CpuTestData.Close(expectedOutput, output, 2e-6, 1e-5);
        CloseWithInfinities(expectedLse, lse);
        (double[] uncapped, _) = Reference(shape with { SoftCap = 0 }, queryPositions, keyPositions, seed: 12);
        Assert.True(uncapped.Zip(output, (a, b) => Math.Abs(a - b)).Max() > 1e-2, "the cap should change the result of this case");
    }

    [Fact]
    public void A_query_that_sees_no_key_gets_zero_output_and_minus_infinite_lse()
    {
        var shape = new AttentionShape(2, 1, 8, 0.3f, 0, 16);
        using var backend = new CpuBackend(threads: 2);

        (float[] output, float[] lse) = Run(backend, shape, queryPositions: [4, 10], keyPositions: [5, 6, 7], seed: 20);

        Assert.All(lse.AsSpan(0, 2).ToArray(), l => Assert.Equal(float.NegativeInfinity, l));
        Assert.All(output.AsSpan(0, 16).ToArray(), o => Assert.Equal(0f, o));
        Assert.All(lse.AsSpan(2, 2).ToArray(), l => Assert.True(float.IsFinite(l)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Merging_two_disjoint_key_blocks_equals_attention_over_their_union(int window)
    {
        var shape = new AttentionShape(4, 2, 16, 0.25f, window, 16);
        int[] queryPositions = [2, 9, 15, 21, 30];
        int[] keys = Enumerable.Range(0, 31).ToArray();
        int[] blockA = keys.Where(p => p % 3 != 0).ToArray();
        int[] blockB = keys.Where(p => p % 3 == 0).ToArray();
        using var backend = new CpuBackend(threads: 2);
        var q = backend.Tensor(CpuTestData.Random(queryPositions.Length * shape.QueryWidth, 30), queryPositions.Length, shape.QueryWidth);
        var qp = backend.Column(queryPositions);
        var (outA, lseA) = Attend(backend, shape, q, qp, blockA, seed: 31);
        var (outB, lseB) = Attend(backend, shape, q, qp, blockB, seed: 31);

        backend.MergeAttention(outA, lseA, outB, lseB);

        // Both blocks drew their K/V rows from one table indexed by position, so the union is that whole table.
        (double[] expectedOutput, double[] expectedLse) = Reference(shape, queryPositions, keys, seed: 31, querySeed: 30);
        CpuTestData.Close(expectedOutput, backend.Floats(outA), 2e-6, 1e-5);
        CloseWithInfinities(expectedLse, backend.Floats(lseA));
    }

    [Fact]
    public void Merging_with_an_empty_partial_result_leaves_the_other_unchanged()
    {
        using var backend = new CpuBackend(threads: 2);
        float[] a = CpuTestData.Random(8, 40);
        var outA = backend.Tensor(a, 1, 8);
        var lseA = backend.Tensor([float.NegativeInfinity, 1.5f], 1, 2);
        var outB = backend.Tensor(CpuTestData.Random(8, 41), 1, 8);
        var lseB = backend.Tensor([0.5f, float.NegativeInfinity], 1, 2);

        backend.MergeAttention(outA, lseA, outB, lseB);

        float[] merged = backend.Floats(outA);
        Assert.Equal(backend.Floats(outB).AsSpan(0, 4).ToArray(), merged.AsSpan(0, 4).ToArray());
        Assert.Equal(a.AsSpan(4, 4).ToArray(), merged.AsSpan(4, 4).ToArray());
        Assert.Equal([0.5f, 1.5f], backend.Floats(lseA));
    }

    /// <summary>LSE of rows that see no key is −∞ in both; the finite ones must be close.</summary>
    private static void CloseWithInfinities(double[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(double.IsNegativeInfinity(expected[i]) == float.IsNegativeInfinity(actual[i]), $"lse {i}: expected {expected[i]}, got {actual[i]}");
        }

        CpuTestData.Close(
            expected.Select(e => double.IsNegativeInfinity(e) ? 0 : e).ToArray(),
            actual.Select(a => float.IsNegativeInfinity(a) ? 0 : a).ToArray(),
            2e-6,
            1e-6);
    }

    private static (float[] Output, float[] Lse) Run(CpuBackend backend, AttentionShape shape, int[] queryPositions, int[] keyPositions, int seed)
    {
        var q = backend.Tensor(CpuTestData.Random(queryPositions.Length * shape.QueryWidth, seed), queryPositions.Length, shape.QueryWidth);
        var (output, lse) = Attend(backend, shape, q, backend.Column(queryPositions), keyPositions, seed + 1);
        return (backend.Floats(output), backend.Floats(lse));
    }

    /// <summary>Keys and values of position p are row p of a table drawn from <paramref name="seed"/>.</summary>
    private static (DeviceTensor Output, DeviceTensor Lse) Attend(CpuBackend backend, AttentionShape shape, DeviceTensor q, DeviceTensor qp, int[] keyPositions, int seed)
    {
        var (keyTable, valueTable) = Tables(shape, seed);
        var k = backend.Tensor(keyPositions.SelectMany(p => keyTable.AsSpan(p * shape.KvWidth, shape.KvWidth).ToArray()).ToArray(), keyPositions.Length, shape.KvWidth);
        var v = backend.Tensor(keyPositions.SelectMany(p => valueTable.AsSpan(p * shape.KvWidth, shape.KvWidth).ToArray()).ToArray(), keyPositions.Length, shape.KvWidth);
        var output = backend.Allocate(q.Rows, shape.QueryWidth);
        var lse = backend.Allocate(q.Rows, shape.NumHeads);
        backend.BlockAttention(q, qp, k, v, backend.Column(keyPositions), shape, output, lse);
        return (output, lse);
    }

    private static (float[] Keys, float[] Values) Tables(AttentionShape shape, int seed) =>
        (CpuTestData.Random(64 * shape.KvWidth, seed), CpuTestData.Random(64 * shape.KvWidth, seed + 1000));

    private static (double[] Output, double[] Lse) Reference(AttentionShape shape, int[] queryPositions, int[] keyPositions, int seed, int? querySeed = null)
    {
        float[] queries = CpuTestData.Random(queryPositions.Length * shape.QueryWidth, querySeed ?? seed);
        var (keyTable, valueTable) = Tables(shape, querySeed is null ? seed + 1 : seed);
        int d = shape.HeadDim, group = shape.NumHeads / shape.NumKvHeads;
        var output = new double[queryPositions.Length * shape.QueryWidth];
        var lse = new double[queryPositions.Length * shape.NumHeads];
        for (int r = 0; r < queryPositions.Length; r++)
        {
            int p = queryPositions[r];
            for (int h = 0; h < shape.NumHeads; h++)
            {
                int kv = h / group;
                var visible = keyPositions.Where(kp => kp <= p && (shape.SlidingWindow == 0 || kp > p - shape.SlidingWindow)).ToArray();
                var scores = visible.Select(kp => Enumerable.Range(0, d).Sum(i => (double)queries[(r * shape.QueryWidth) + (h * d) + i] * keyTable[(kp * shape.KvWidth) + (kv * d) + i]) * shape.Scale)
                    .Select(s => shape.SoftCap > 0 ? Math.Tanh(s / shape.SoftCap) * shape.SoftCap : s).ToArray();
                if (scores.Length == 0)
                {
                    lse[(r * shape.NumHeads) + h] = double.NegativeInfinity;
                    continue;
                }

                double max = scores.Max();
                double sum = scores.Sum(s => Math.Exp(s - max));
                lse[(r * shape.NumHeads) + h] = max + Math.Log(sum);
                for (int j = 0; j < visible.Length; j++)
                {
                    double weight = Math.Exp(scores[j] - max) / sum;
                    for (int i = 0; i < d; i++)
                    {
                        output[(r * shape.QueryWidth) + (h * d) + i] += weight * valueTable[(visible[j] * shape.KvWidth) + (kv * d) + i];
                    }
                }
            }
        }

        return (output, lse);
    }
}
