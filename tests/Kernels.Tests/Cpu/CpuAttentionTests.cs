using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

public sealed class CpuAttentionTests
{
    public static TheoryData<string, int, int, int, int, int> Shapes() => new()
    {
        { "multi-head", 4, 4, 16, 0, 4 },
        { "grouped-query", 8, 2, 32, 0, 16 },
        { "multi-query", 6, 1, 8, 0, 3 },
        { "odd head dim", 2, 1, 7, 0, 5 },
        { "sliding window", 4, 2, 16, 5, 4 },
        { "window wider than a key block", 2, 1, 64, 150, 16 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PagedAttention_matches_double_reference(string name, int heads, int kvHeads, int headDim, int window, int blockSize)
    {
        var shape = new AttentionShape(heads, kvHeads, headDim, 1f / MathF.Sqrt(headDim), window, blockSize);
        var data = new PagedAttentionCase(shape, name.StartsWith("window", StringComparison.Ordinal) ? [300, 17] : [1, 13, 9], seed: 50);
        (int[] sequences, int[] positions) = data.AllRows();
        float[] queries = data.Queries(sequences.Length, 51);
        using var backend = new CpuBackend(threads: 2);

        (float[] output, float[] lse) = data.Run(backend, queries, sequences, positions);

        (double[] expectedOutput, double[] expectedLse) = data.Reference(queries, sequences, positions);
        CpuTestData.Close(expectedOutput, output, 2e-6, 1e-5);
        CpuTestData.Close(expectedLse, lse, 2e-6, 1e-6);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    public void A_single_row_split_into_head_ranges_that_cross_kv_groups_matches_reference(int threads)
    {
        // One row leaves workers idle, so its 12 heads are split into ranges (of 3 heads: across the groups of 4).
        var shape = new AttentionShape(12, 3, 16, 0.25f, 0, 4);
        var data = new PagedAttentionCase(shape, [37], seed: 64);
        float[] query = data.Queries(1, 65);
        using var backend = new CpuBackend(threads);

        (float[] output, float[] lse) = data.Run(backend, query, [0], [36]);

        (double[] expectedOutput, double[] expectedLse) = data.Reference(query, [0], [36]);
        CpuTestData.Close(expectedOutput, output, 2e-6, 1e-5);
        CpuTestData.Close(expectedLse, lse, 2e-6, 1e-6);
    }

    [Fact]
    public void Soft_capped_scores_match_the_double_reference_and_differ_from_uncapped_ones()
    {
        // Keys scaled by 2 and a cap of 1.5 put most scores well into tanh's bend, so ignoring the cap would show.
        var shape = new AttentionShape(4, 2, 16, 0.25f, 0, 4, SoftCap: 1.5f);
        var data = new PagedAttentionCase(shape, [1, 13, 9], seed: 70);
        (int[] sequences, int[] positions) = data.AllRows();
        float[] queries = data.Queries(sequences.Length, 71);
        using var backend = new CpuBackend(threads: 2);

        (float[] output, float[] lse) = data.Run(backend, queries, sequences, positions);

        (double[] expectedOutput, double[] expectedLse) = data.Reference(queries, sequences, positions);
        CpuTestData.Close(expectedOutput, output, 2e-6, 1e-5);
        CpuTestData.Close(expectedLse, lse, 2e-6, 1e-6);
        (double[] uncapped, _) = NaiveReference.Attention(queries, data.KeyCache, data.ValueCache, sequences, positions, data.BlockTables, shape with { SoftCap = 0 });
        Assert.True(uncapped.Zip(output, (a, b) => Math.Abs(a - b)).Max() > 1e-2, "the cap should change the result of this case");
    }

    [Fact]
    public void Lse_merge_of_attention_over_two_key_ranges_equals_attention_over_both()
    {
        // Keys [0, 200] of one sequence: a query at position 99 sees exactly [0, 99]; at position 200 with a window of
        // 101 it sees exactly [100, 200]. Merging those two by their LSE must give full attention at position 200.
        var shape = new AttentionShape(4, 2, 16, 0.25f, 0, 8);
        var data = new PagedAttentionCase(shape, [201], seed: 52);
        float[] query = data.Queries(1, 53);
        using var backend = new CpuBackend(threads: 2);

        (float[] full, float[] fullLse) = data.Run(backend, query, [0], [200]);
        (float[] first, float[] firstLse) = data.Run(backend, query, [0], [99]);
        (float[] second, float[] secondLse) = data.Run(backend, query, [0], [200], shape with { SlidingWindow = 101 });

        for (int h = 0; h < shape.NumHeads; h++)
        {
            Range head = (h * shape.HeadDim)..((h + 1) * shape.HeadDim);
            (double[] merged, double mergedLse) = NaiveReference.MergeByLse(first.AsSpan(head), firstLse[h], second.AsSpan(head), secondLse[h]);
            CpuTestData.Close(merged, full[head], 1e-6, 1e-5);
            Assert.Equal(mergedLse, fullLse[h], 1e-5);
        }
    }

    [Fact]
    public void Sliding_window_ignores_keys_older_than_the_window()
    {
        var shape = new AttentionShape(2, 1, 8, 0.3f, 4, 4);
        var data = new PagedAttentionCase(shape, [12], seed: 54);
        float[] query = data.Queries(1, 55);
        using var backend = new CpuBackend(threads: 1);
        (float[] before, float[] beforeLse) = data.Run(backend, query, [0], [11]);

        int slotOfPosition7 = (data.BlockTables[0, 1] * shape.BlockSize) + 3;
        data.KeyCache.AsSpan(slotOfPosition7 * shape.KvWidth, shape.KvWidth).Fill(1000f);
        data.ValueCache.AsSpan(slotOfPosition7 * shape.KvWidth, shape.KvWidth).Fill(1000f);
        (float[] after, float[] afterLse) = data.Run(backend, query, [0], [11]);

        CpuTestData.Identical(before, after);
        CpuTestData.Identical(beforeLse, afterLse);
    }

    [Fact]
    public void A_row_gets_the_same_bits_alone_as_in_a_mixed_batch()
    {
        var shape = new AttentionShape(8, 2, 32, 1f / MathF.Sqrt(32), 0, 16);
        var data = new PagedAttentionCase(shape, [260, 5, 40], seed: 56);
        (int[] sequences, int[] positions) = data.AllRows();
        float[] queries = data.Queries(sequences.Length, 57);
        using var backend = new CpuBackend(threads: 2);
        (float[] batch, float[] batchLse) = data.Run(backend, queries, sequences, positions);

        foreach (int row in new[] { 0, 129, 259, 262, 300 })
        {
            float[] query = queries[(row * shape.QueryWidth)..((row + 1) * shape.QueryWidth)];
            (float[] alone, float[] aloneLse) = data.Run(backend, query, [sequences[row]], [positions[row]]);
            CpuTestData.Identical(batch.AsSpan(row * shape.QueryWidth, shape.QueryWidth), alone);
            CpuTestData.Identical(batchLse.AsSpan(row * shape.NumHeads, shape.NumHeads), aloneLse);
        }
    }

    [Fact]
    public void PagedAttention_results_do_not_depend_on_thread_count()
    {
        var shape = new AttentionShape(4, 1, 16, 0.25f, 0, 4);
        var data = new PagedAttentionCase(shape, [33, 7], seed: 58);
        (int[] sequences, int[] positions) = data.AllRows();
        float[] queries = data.Queries(sequences.Length, 59);
        (float[] Output, float[] Lse)? reference = null;
        foreach (int threads in new[] { 1, 2, 7 })
        {
            using var backend = new CpuBackend(threads);
            (float[] output, float[] lse) = data.Run(backend, queries, sequences, positions);
            reference ??= (output, lse);
            CpuTestData.Identical(reference.Value.Output, output);
            CpuTestData.Identical(reference.Value.Lse, lse);
        }
    }

    [Fact]
    public void PagedAttention_names_a_block_outside_the_cache()
    {
        var shape = new AttentionShape(2, 1, 4, 0.5f, 0, 4);
        var data = new PagedAttentionCase(shape, [8], seed: 60);
        data.BlockTables[0, 1] = 1_000;
        using var backend = new CpuBackend(threads: 1);

        var error = Assert.Throws<ArgumentException>(() => data.Run(backend, data.Queries(1, 61), [0], [6]));
        Assert.Contains("physical block 1000", error.Message);
    }

    [Fact]
    public void PagedAttention_names_a_position_past_the_block_table()
    {
        var shape = new AttentionShape(2, 1, 4, 0.5f, 0, 4);
        var data = new PagedAttentionCase(shape, [8], seed: 62);
        using var backend = new CpuBackend(threads: 1);

        var error = Assert.Throws<ArgumentException>(() => data.Run(backend, data.Queries(1, 63), [0], [8]));
        Assert.Contains("position 8 needs block 2", error.Message);
    }
}
