using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;
using static InferMesh.Kernels.Tests.Cuda.BlockAttentionChecks;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// Block attention and the LSE merge on the GPU against their CPU twins: the direct kernel (small blocks) and the
/// cuBLAS path (large blocks, default threshold), zig-zag ring blocks with rows that see nothing, GQA, windows, keys
/// out of position order, positions a kernel wrote, forced chunking, bf16 and fp16.
/// </summary>
[Trait("Category", "Gpu")]
[Collection("Gpu")]
public sealed class CudaBlockAttentionTests(CudaDeviceFixture device)
{
    [Theory]
    [InlineData(32, 8, 128, 0)]
    [InlineData(14, 2, 64, 16)]
    [InlineData(4, 4, 40, 0)]
    public void Direct_kernel_matches_cpu_on_small_zig_zag_blocks(int heads, int kvHeads, int headDim, int window)
    {
        var shape = new AttentionShape(heads, kvHeads, headDim, 1 / MathF.Sqrt(headDim), window, 16);
        MatchesCpu(device.Require(), shape, ZigZag(101, 2, 0), ZigZag(101, 2, 1), heads + 1);
        MatchesCpu(device.Require(), shape, ZigZag(101, 2, 1), ZigZag(101, 2, 1), heads + 2);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    public void Gemm_path_matches_cpu_on_every_block_of_a_zig_zag_pair(int queryMember, int keyMember)
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        MatchesCpu(device.Require(), shape, ZigZag(2001, 2, queryMember), ZigZag(2001, 2, keyMember), 40 + queryMember * 2 + keyMember);
    }

    [Fact]
    public void Gemm_path_matches_cpu_on_three_member_blocks_with_a_window_and_an_odd_group()
    {
        var shape = new AttentionShape(14, 2, 64, 0.125f, 300, 16);
        MatchesCpu(device.Require(), shape, ZigZag(3001, 3, 2), ZigZag(3001, 3, 0), 50);
        MatchesCpu(device.Require(), shape, ZigZag(3001, 3, 0), ZigZag(3001, 3, 2), 51);
    }

    [Fact]
    public void Gemm_path_matches_cpu_when_keys_are_not_in_position_order()
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        int[] keys = Enumerable.Range(0, 900).Select(i => (i * 7) % 900).ToArray();
        MatchesCpu(device.Require(), shape, ZigZag(1200, 2, 1), keys, 52);
    }

    [Fact]
    public void Gemm_path_downloads_positions_that_a_kernel_wrote()
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        MatchesCpu(device.Require(), shape, ZigZag(1600, 2, 0), ZigZag(1600, 2, 1), 53, positionsWrittenOnDevice: true);
    }

    [Fact]
    public void Gemm_path_splits_large_blocks_into_chunks_that_fit_the_score_budget()
    {
        var backend = device.Require();
        long budget = backend.ScoreBudgetFloats;
        backend.ScoreBudgetFloats = 8L * 100 * 700;
        try
        {
            var shape = new AttentionShape(8, 2, 64, 0.125f, 0, 16);
            MatchesCpu(backend, shape, ZigZag(2800, 2, 1), ZigZag(2800, 2, 0), 54);
            MatchesCpu(backend, shape, ZigZag(2800, 2, 0), ZigZag(2800, 2, 0), 55);
        }
        finally
        {
            backend.ScoreBudgetFloats = budget;
        }
    }

    [Theory]
    [InlineData(101)]
    [InlineData(2001)]
    public void Fp16_backend_matches_cpu_on_both_paths(int length)
    {
        var shape = new AttentionShape(32, 8, 128, 1 / MathF.Sqrt(128), 0, 16);
        MatchesCpu(device.RequireF16(), shape, ZigZag(length, 2, 0), ZigZag(length, 2, 0), 56);
        MatchesCpu(device.RequireF16(), shape, ZigZag(length, 2, 1), ZigZag(length, 2, 0), 57);
    }

    [Theory]
    [InlineData(333, 32, 128)]
    [InlineData(7, 14, 64)]
    public void Merge_matches_cpu_in_bf16_and_fp16(int rows, int heads, int headDim)
    {
        MergeMatchesCpu(device.Require(), rows, heads, headDim, rows);
        MergeMatchesCpu(device.RequireF16(), rows, heads, headDim, rows + 1);
    }
}
