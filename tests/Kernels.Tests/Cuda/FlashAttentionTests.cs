using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The tensor-core flash attention kernel (large prefill runs) against the float64 reference, and the cuBLAS score
/// path it replaces, on the same layouts: long runs after a cached prefix, GQA groups of 4 and 7, sliding windows,
/// row counts that are not multiples of the kernel's 64-row tiles.
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
