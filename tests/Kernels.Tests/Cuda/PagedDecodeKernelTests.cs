using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The CUDA C paged decode kernel against the float64 reference, and the ILGPU kernel it replaces on the same
/// layouts: GQA groups of 1, 4, 7 and 8, sliding windows, contexts of one split and of many, shuffled blocks.
/// </summary>
[Trait("Category", "Gpu")]
[Collection("Gpu")]
public sealed class PagedDecodeKernelTests(CudaDeviceFixture device)
{
    [Theory]
    [InlineData(true, 32, 8, 128, 0)]
    [InlineData(false, 32, 8, 128, 0)]
    [InlineData(true, 8, 1, 64, 0)]
    [InlineData(true, 14, 2, 64, 33)]
    [InlineData(true, 4, 4, 128, 0)]
    [InlineData(false, 14, 2, 64, 33)]
    public void Short_and_split_contexts_match_reference(bool cudaKernel, int heads, int kvHeads, int headDim, int window) =>
        WithKernel(cudaKernel, b => KernelChecks.Attention(
            b,
            PagedLayout.Create([1, 5, 128, 129, 700, 3000], [1, 1, 1, 1, 1, 1], 16, new Random(heads * headDim + window)),
            new AttentionShape(heads, kvHeads, headDim, 1 / MathF.Sqrt(headDim), window, 16),
            61));

    [Fact]
    public void Decode_rows_mixed_into_a_large_prefill_match_reference() =>
        WithKernel(true, b => KernelChecks.Attention(
            b,
            PagedLayout.Create([900, 40, 2000, 1], [400, 1, 1, 1], 16, new Random(62)),
            new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16),
            62));

    [Fact]
    public void Decode_batches_run_through_the_cuda_c_kernel()
    {
        var backend = device.Require();
        long before = backend.PagedDecodeLaunches;
        KernelChecks.Attention(backend, PagedLayout.Create([300, 7], [1, 1], 16, new Random(63)), new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16), 63);
        Assert.True(backend.PagedDecodeLaunches > before, "a bf16 decode batch of head dimension 128 should use the CUDA C paged decode kernel");
    }

    private void WithKernel(bool enabled, Action<CudaBackend> check)
    {
        var backend = device.Require();
        bool saved = backend.UsePagedDecodeKernel;
        backend.UsePagedDecodeKernel = enabled;
        try
        {
            check(backend);
        }
        finally
        {
            backend.UsePagedDecodeKernel = saved;
        }
    }
}
