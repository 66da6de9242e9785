using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;
using static InferMesh.Kernels.Tests.Cuda.BlockAttentionChecks;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The CUDA backend's block attention and merge on ILGPU's simulated GPU against the CPU twins. The GEMM path runs
/// here too (forced by lowering its threshold), with a naive kernel standing in for cuBLAS, so its chunking, key
/// ranges, strides and position masks are checked without a GPU; small sizes, the simulation is slow.
/// </summary>
[Trait("Category", "GpuSimulated")]
[Collection("GpuSimulated")]
public sealed class SimulatedBlockAttentionTests : IDisposable
{
    private readonly CudaBackend bf16 = new(DType.BF16);

    public void Dispose() => bf16.Dispose();

    [Fact]
    public void Direct_kernel_matches_cpu_on_a_zig_zag_local_block_with_gqa()
    {
        var shape = new AttentionShape(4, 2, 16, 0.25f, 0, 16);
        int[] member = ZigZag(41, 2, 0);
        MatchesCpu(bf16, shape, member, member, 1);
    }

    [Fact]
    public void Direct_kernel_matches_cpu_with_a_window_unsorted_keys_and_rows_that_see_nothing()
    {
        var shape = new AttentionShape(4, 4, 8, 0.3f, 5, 16);
        int[] keys = Enumerable.Range(10, 23).Select(i => 10 + ((i * 7) % 23)).ToArray();
        MatchesCpu(bf16, shape, [3, 12, 40, 17, 25, 9, 33], keys, 2);
    }

    [Fact]
    public void Gemm_path_matches_cpu_on_cross_member_zig_zag_blocks_in_chunks()
    {
        // Member 0's early half sees none of member 1's keys; its late half sees all of them.
        ForceGemm(bf16, budgetFloats: 6 * 16 * 20);
        var shape = new AttentionShape(6, 2, 8, 0.35f, 0, 16);
        MatchesCpu(bf16, shape, ZigZag(66, 2, 0), ZigZag(66, 2, 1), 3);
    }

    [Fact]
    public void Gemm_path_matches_cpu_with_a_sliding_window()
    {
        ForceGemm(bf16, budgetFloats: 4 * 16 * 20);
        var shape = new AttentionShape(4, 2, 8, 0.35f, 7, 16);
        MatchesCpu(bf16, shape, ZigZag(66, 2, 1), ZigZag(66, 2, 0), 4);
    }

    [Fact]
    public void Gemm_path_matches_cpu_when_keys_are_not_in_position_order()
    {
        ForceGemm(bf16, budgetFloats: 4 * 16 * 40);
        var shape = new AttentionShape(4, 1, 8, 0.35f, 0, 16);
        int[] keys = Enumerable.Range(0, 37).Select(i => (i * 11) % 37).ToArray();
        MatchesCpu(bf16, shape, Enumerable.Range(0, 37).ToArray(), keys, 6);
    }

    [Fact]
    public void Gemm_path_downloads_positions_that_a_kernel_wrote()
    {
        ForceGemm(bf16, budgetFloats: 4 * 16 * 30);
        var shape = new AttentionShape(4, 2, 8, 0.35f, 0, 16);
        MatchesCpu(bf16, shape, ZigZag(40, 2, 1), ZigZag(40, 2, 0), 7, positionsWrittenOnDevice: true);
    }

    [Fact]
    public void Gemm_path_matches_cpu_in_fp16()
    {
        using var f16 = new CudaBackend(DType.F16);
        ForceGemm(f16, budgetFloats: 4 * 16 * 30);
        var shape = new AttentionShape(4, 2, 8, 0.35f, 0, 16);
        MatchesCpu(f16, shape, ZigZag(40, 2, 0), ZigZag(40, 2, 0), 8);
    }

    [Fact]
    public void Merge_matches_cpu_including_empty_sides()
    {
        MergeMatchesCpu(bf16, 5, 3, 8, 9);
    }

    private static void ForceGemm(CudaBackend backend, long budgetFloats)
    {
        backend.BlockGemmMinPairs = 0;
        backend.ScoreBudgetFloats = budgetFloats;
    }
}
