using InferMesh.Kernels.Cuda;
using InferMesh.Kernels.Cuda.Flash;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The tensor-core flash attention kernels (large prefill runs) against the float64 reference or the CPU twin, and
/// the cuBLAS score path they replace, on the same layouts: long runs after a cached prefix, GQA groups of 4, 7 and 8,
/// sliding windows, row counts that are not multiples of the kernels' 64- and 128-row tiles, rows that see no key,
/// key positions from arrays (block attention) and contiguous (paged prefill), bf16 and fp16. Launches of at least
/// 128 rows take the 128-row kernel; forcing 64 rows must give the same result.
/// </summary>
[Trait("Category", "Gpu")]
[Collection("Gpu")]
public sealed class FlashAttentionTests(CudaDeviceFixture device)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Long_prompt_after_a_cached_prefix_matches_reference(bool flash) =>
        WithFlash(flash, b => KernelChecks.Attention(b, PagedLayout.Create([1300], [1000], 16, new Random(51)), new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16), 51));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Grouped_heads_of_seven_with_head_dim_64_match_reference(bool flash) =>
        WithFlash(flash, b => KernelChecks.Attention(b, PagedLayout.Create([777, 300], [777, 300], 16, new Random(52)), new AttentionShape(14, 2, 64, 0.125f, 0, 16), 52));

    [Theory]
    [InlineData(true, 100)]
    [InlineData(false, 100)]
    [InlineData(true, 4096)]
    public void Sliding_window_matches_reference(bool flash, int window) =>
        WithFlash(flash, b => KernelChecks.Attention(b, PagedLayout.Create([2500, 70], [2000, 1], 16, new Random(53)), new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), window, 16), 53));

    [Theory]
    [InlineData(1025)]
    [InlineData(577)]
    public void A_last_query_tile_of_one_row_sees_exactly_the_valid_keys(int rows) =>
        WithFlash(true, b => KernelChecks.Attention(b, PagedLayout.Create([rows], [rows], 16, new Random(rows)), new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16), rows));

    [Fact]
    public void Large_prefill_runs_through_the_flash_kernel()
    {
        var backend = device.Require();
        long before = backend.FlashLaunches;
        KernelChecks.Attention(backend, PagedLayout.Create([300], [300], 16, new Random(54)), new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16), 54);
        Assert.True(backend.FlashLaunches > before, "a 300-row prefill of head dimension 128 in bf16 should use the flash kernel");
    }

    /// <summary>Paged prefill runs (keys gathered contiguously) of 128, 129, 255 and 1000+ rows on the 128-row kernel.</summary>
    [Theory]
    [InlineData(128, 128, 32, 8, 128, 0, false)]
    [InlineData(1129, 129, 32, 8, 128, 100, false)]
    [InlineData(255, 255, 16, 4, 64, 0, true)]
    [InlineData(1500, 1000, 32, 4, 64, 300, false)]
    [InlineData(1025, 1025, 8, 2, 128, 0, true)]
    [InlineData(1200, 1000, 32, 8, 128, 4096, true)]
    public void Wide_kernel_matches_reference_on_paged_prefill_runs(int context, int rows, int heads, int kvHeads, int headDim, int window, bool fp16)
    {
        var backend = fp16 ? device.RequireF16() : device.Require();
        var random = new Random(context + rows);
        // The paged flash path needs a step of 256 rows: a second sequence of 256 rows joins shorter runs.
        var layout = rows >= CudaBackend.GemmPrefillMinRows
            ? PagedLayout.Create([context], [rows], 16, random)
            : PagedLayout.Create([context, 300], [rows, 256], 16, random);
        var shape = new AttentionShape(heads, kvHeads, headDim, 1 / MathF.Sqrt(headDim), window, 16);
        long before = backend.FlashKernel!.WideLaunches;
        WithRows(backend, 0, () => KernelChecks.Attention(backend, layout, shape, context + rows));
        Assert.True(backend.FlashKernel.WideLaunches > before, $"a {rows}-row prefill run should take the 128-row flash kernel");
    }

    /// <summary>
    /// Block attention (position arrays) of zig-zag ring blocks on the 128-row kernel: 128, 129, 255 and 1050 rows,
    /// with query rows that see no key where the query member's first chunk precedes every key.
    /// </summary>
    [Theory]
    [InlineData(256, 0, 1, 32, 8, 128, 0, false)]
    [InlineData(258, 1, 0, 16, 2, 64, 40, true)]
    [InlineData(510, 0, 0, 32, 8, 128, 0, true)]
    [InlineData(2100, 1, 0, 32, 4, 64, 500, false)]
    [InlineData(2100, 0, 1, 16, 4, 128, 0, true)]
    [InlineData(2100, 0, 1, 32, 4, 128, 0, false)]
    public void Wide_kernel_matches_cpu_on_position_arrays(int length, int queryMember, int keyMember, int heads, int kvHeads, int headDim, int window, bool fp16)
    {
        var backend = fp16 ? device.RequireF16() : device.Require();
        var shape = new AttentionShape(heads, kvHeads, headDim, 1 / MathF.Sqrt(headDim), window, 16);
        long before = backend.FlashKernel!.WideLaunches;
        WithBlockFlash(backend, 0, () => BlockAttentionChecks.MatchesCpu(backend, shape, BlockAttentionChecks.ZigZag(length, 2, queryMember), BlockAttentionChecks.ZigZag(length, 2, keyMember), length + queryMember));
        Assert.True(backend.FlashKernel.WideLaunches > before, "a block of at least 128 query rows should take the 128-row flash kernel");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void Both_kernels_match_cpu_when_keys_are_not_in_position_order(int rowsPerBlock)
    {
        var backend = device.Require();
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        int[] keys = Enumerable.Range(0, 900).Select(i => (i * 7) % 900).ToArray();
        WithBlockFlash(backend, rowsPerBlock, () => BlockAttentionChecks.MatchesCpu(backend, shape, BlockAttentionChecks.ZigZag(1200, 2, 1), keys, 60));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(64, true)]
    public void Rows_whose_window_has_passed_every_key_see_nothing(int rowsPerBlock, bool fp16)
    {
        // Queries at 4800..5199 with a window of 4000 over keys 0..999: rows from 4999 on see no key.
        var backend = fp16 ? device.RequireF16() : device.Require();
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 4000, 16);
        WithBlockFlash(backend, rowsPerBlock, () => BlockAttentionChecks.MatchesCpu(backend, shape, [.. Enumerable.Range(4800, 400)], [.. Enumerable.Range(0, 1000)], 61));
    }

    /// <summary>
    /// The kernels over contiguous positions without the paged gather: query rows offset from the keys (rows before
    /// the first key see nothing), windows that skip leading key tiles, partial last query and key tiles.
    /// </summary>
    [Theory]
    [InlineData(128, 0, 128, 0, 32, 8, 128, 0, false, 0)]
    [InlineData(300, 0, 300, 100, 32, 8, 128, 0, false, 0)]
    [InlineData(300, 0, 300, 100, 16, 4, 64, 0, true, 64)]
    [InlineData(1000, 500, 1500, 0, 32, 4, 64, 0, true, 0)]
    [InlineData(255, 1000, 1300, 0, 16, 2, 128, 200, false, 0)]
    [InlineData(129, 70, 250, 3, 32, 8, 64, 64, true, 0)]
    [InlineData(1031, 0, 1031, 0, 8, 1, 128, 257, true, 64)]
    public void Contiguous_positions_match_cpu(int rows, int queryBase, int keys, int keyBase, int heads, int kvHeads, int headDim, int window, bool fp16, int rowsPerBlock)
    {
        var backend = fp16 ? device.RequireF16() : device.Require();
        var shape = new AttentionShape(heads, kvHeads, headDim, 1 / MathF.Sqrt(headDim), window, 16);
        var (q, k, v) = Inputs(backend, shape, rows, keys, rows + keys);
        var expected = BlockAttentionChecks.CpuReference(shape, q, Positions(queryBase, rows), k, v, Positions(keyBase, keys));
        var actual = WithRows(backend, rowsPerBlock, () => RunContiguous(backend, shape, q, queryBase, k, v, keyBase));
        BlockAttentionChecks.AssertAgree(expected.Output, expected.Lse, actual.Output, actual.Lse, shape,
            $"contiguous flash {backend.ActivationType} rows={rows}@{queryBase} keys={keys}@{keyBase} heads={heads}/{kvHeads} dim={headDim} window={window} rowsPerBlock={rowsPerBlock}");
    }

    /// <summary>
    /// The kernels scale scores inside the exponent, which needs a positive scale: a negative scale runs as negated
    /// queries (in registers for d = 64, re-read from shared memory for d = 128 with 128 rows), zero as the smallest
    /// normal float. Both must still match the CPU twin exactly as a plain scale would.
    /// </summary>
    [Theory]
    [InlineData(-0.125f, 0, false)]
    [InlineData(-0.09f, 64, true)]
    [InlineData(0f, 0, true)]
    [InlineData(0f, 64, false)]
    public void Negative_and_zero_scales_match_cpu(float scale, int rowsPerBlock, bool fp16)
    {
        var backend = fp16 ? device.RequireF16() : device.Require();
        foreach (int headDim in new[] { 64, 128 })
        {
            var shape = new AttentionShape(16, 4, headDim, scale, headDim == 64 ? 150 : 0, 16);
            const int rows = 300, keys = 420, queryBase = 100;
            var (q, k, v) = Inputs(backend, shape, rows, keys, headDim + rowsPerBlock);
            var expected = BlockAttentionChecks.CpuReference(shape, q, Positions(queryBase, rows), k, v, Positions(0, keys));
            var actual = WithRows(backend, rowsPerBlock, () => RunContiguous(backend, shape, q, queryBase, k, v, 0));
            BlockAttentionChecks.AssertAgree(expected.Output, expected.Lse, actual.Output, actual.Lse, shape,
                $"flash {backend.ActivationType} scale={scale} dim={headDim} rowsPerBlock={rowsPerBlock}");
        }
    }

    [Fact]
    public void Launches_below_128_rows_take_the_64_row_kernel_and_larger_ones_the_128_row_kernel()
    {
        var backend = device.Require();
        var kernel = backend.FlashKernel!;
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        foreach (var (rows, wide) in new[] { (127, false), (128, true), (64, false), (1000, true) })
        {
            var (q, k, v) = Inputs(backend, shape, rows, rows, rows);
            long narrowBefore = kernel.NarrowLaunches, wideBefore = kernel.WideLaunches;
            WithRows(backend, 0, () => RunContiguous(backend, shape, q, 0, k, v, 0));
            Assert.Equal(wide ? wideBefore + 1 : wideBefore, kernel.WideLaunches);
            Assert.Equal(wide ? narrowBefore : narrowBefore + 1, kernel.NarrowLaunches);
        }
    }

    /// <summary>The same large launch through the 128-row kernel and, forced, the 64-row kernel: the same output and LSE.</summary>
    [Theory]
    [InlineData(32, 8, 128, 0, false)]
    [InlineData(32, 4, 64, 0, true)]
    [InlineData(16, 4, 128, 300, true)]
    public void Forcing_64_rows_gives_the_output_of_the_128_row_kernel(int heads, int kvHeads, int headDim, int window, bool fp16)
    {
        var backend = fp16 ? device.RequireF16() : device.Require();
        var kernel = backend.FlashKernel!;
        var shape = new AttentionShape(heads, kvHeads, headDim, 1 / MathF.Sqrt(headDim), window, 16);
        const int rows = 1200, keys = 1700;
        var (q, k, v) = Inputs(backend, shape, rows, keys, heads + headDim);
        long wideBefore = kernel.WideLaunches;
        var wide = WithRows(backend, 0, () => RunContiguous(backend, shape, q, keys - rows, k, v, 0));
        Assert.Equal(wideBefore + 1, kernel.WideLaunches);
        long narrowBefore = kernel.NarrowLaunches;
        var narrow = WithRows(backend, FlashAttentionKernel.NarrowRows, () => RunContiguous(backend, shape, q, keys - rows, k, v, 0));
        Assert.Equal(narrowBefore + 1, kernel.NarrowLaunches);
        Assert.Equal(wideBefore + 1, kernel.WideLaunches);

        string what = $"64- vs 128-row flash {backend.ActivationType} heads={heads}/{kvHeads} dim={headDim} window={window}";
        TestTensors.AssertClose(narrow.Output, wide.Output, 2e-3, what + " output");
        for (int i = 0; i < wide.Lse.Length; i++)
            Assert.True(Math.Abs(narrow.Lse[i] - wide.Lse[i]) <= 1e-4 * Math.Max(1, Math.Abs(wide.Lse[i])), $"{what}: lse {i} is {narrow.Lse[i]} (64 rows), {wide.Lse[i]} (128 rows)");
        var expected = BlockAttentionChecks.CpuReference(shape, q, Positions(keys - rows, rows), k, v, Positions(0, keys));
        BlockAttentionChecks.AssertAgree(expected.Output, expected.Lse, wide.Output, wide.Lse, shape, what + " (128 rows vs CPU)");
    }

    private static int[] Positions(int first, int count) => [.. Enumerable.Range(first, count)];

    private static (float[] Q, float[] K, float[] V) Inputs(CudaBackend backend, AttentionShape shape, int rows, int keys, int seed)
    {
        var random = new Random(seed);
        return (BlockAttentionChecks.Rounded(backend.ActivationType, random, rows * shape.QueryWidth, 3f),
            BlockAttentionChecks.Rounded(backend.ActivationType, random, keys * shape.KvWidth, 1f),
            BlockAttentionChecks.Rounded(backend.ActivationType, random, keys * shape.KvWidth, 1f));
    }

    private static (float[] Output, float[] Lse) RunContiguous(CudaBackend backend, AttentionShape shape, float[] q, int queryBase, float[] k, float[] v, int keyBase)
    {
        int rows = q.Length / shape.QueryWidth, keys = k.Length / shape.KvWidth;
        using var tq = TestTensors.Upload(backend, q, rows, shape.QueryWidth);
        using var tk = TestTensors.Upload(backend, k, keys, shape.KvWidth);
        using var tv = TestTensors.Upload(backend, v, keys, shape.KvWidth);
        using var output = TestTensors.Poisoned(backend, rows, shape.QueryWidth);
        using var lse = TestTensors.Poisoned(backend, rows, shape.NumHeads, DType.F32);
        Assert.True(backend.ContiguousFlashAttention(tq, queryBase, tk, tv, keyBase, shape, output, lse), "the flash kernel should apply");
        return (TestTensors.Download(backend, output), TestTensors.Download(backend, lse));
    }

    /// <summary>Runs with the flash kernel on and its rows per block forced (64, 128) or chosen by row count (0).</summary>
    private static T WithRows<T>(CudaBackend backend, int rowsPerBlock, Func<T> body)
    {
        var kernel = backend.FlashKernel!;
        bool savedFlash = backend.UseFlashAttention;
        int savedRows = kernel.ForcedRowsPerBlock;
        backend.UseFlashAttention = true;
        kernel.ForcedRowsPerBlock = rowsPerBlock;
        try
        {
            return body();
        }
        finally
        {
            backend.UseFlashAttention = savedFlash;
            kernel.ForcedRowsPerBlock = savedRows;
        }
    }

    private static void WithRows(CudaBackend backend, int rowsPerBlock, Action body) => WithRows(backend, rowsPerBlock, () =>
    {
        body();
        return 0;
    });

    /// <summary><see cref="WithRows(CudaBackend, int, Action)"/> with every block attention, however small, sent to the flash kernel.</summary>
    private static void WithBlockFlash(CudaBackend backend, int rowsPerBlock, Action body)
    {
        long saved = backend.BlockGemmMinPairs;
        backend.BlockGemmMinPairs = 0;
        try
        {
            WithRows(backend, rowsPerBlock, body);
        }
        finally
        {
            backend.BlockGemmMinPairs = saved;
        }
    }

    private void WithFlash(bool flash, Action<CudaBackend> check)
    {
        var backend = device.Require();
        bool saved = backend.UseFlashAttention;
        backend.UseFlashAttention = flash;
        try
        {
            check(backend);
        }
        finally
        {
            backend.UseFlashAttention = saved;
        }
    }
}
