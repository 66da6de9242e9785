using System.Globalization;
using System.Text;
using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;
using InferMesh.Kernels.Cuda.Flash;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>The flash prefill kernel alone, in its two row variants.</summary>
public sealed partial class GpuKernelBenchmarks
{
    /// <summary>
    /// The flash attention prefill kernel alone (contiguous positions, no paged gather) in both variants; writes
    /// markdown to INFERMESH_FLASH_BENCH_OUT (a file path).
    /// </summary>
    [Fact]
    public void Measure_flash_prefill_variants()
    {
        var backend = device.Require();
        string output = Environment.GetEnvironmentVariable("INFERMESH_FLASH_BENCH_OUT") ?? Path.Combine(Path.GetTempPath(), "gpu-flash.md");
        Header(backend);
        Line();
        FlashPrefillTable(backend);
        Publish(output);
    }

    /// <summary>
    /// Causal prefill attention by the flash kernel at Llama shapes, 64 and 128 query rows per block, bf16; TFLOP/s
    /// counts the causal half of the score and output products (4·rows²·d·heads/2).
    /// </summary>
    private void FlashPrefillTable(CudaBackend backend)
    {
        var kernel = backend.FlashKernel ?? throw new InvalidOperationException("The flash kernels are not loaded.");
        Line("## Flash attention prefill kernel (causal, contiguous positions, bf16)");
        Line();
        Line("| shape | rows | heads | d | rows per block | ms | TFLOP/s |");
        Line("|---|---|---|---|---|---|---|");
        int saved = kernel.ForcedRowsPerBlock;
        try
        {
            foreach (var shape in new[] { LlamaShape.Llama31_8B, LlamaShape.Llama32_1B })
            {
                foreach (int rows in new[] { 2048, 8192 })
                {
                    var random = new Random(rows + shape.HeadDim);
                    var attentionShape = new AttentionShape(shape.Heads, shape.KvHeads, shape.HeadDim, 1 / MathF.Sqrt(shape.HeadDim), 0, 16);
                    using var q = TestTensors.Upload(backend, TestTensors.Bf16Random(random, rows * shape.QueryWidth, 3f), rows, shape.QueryWidth, DType.BF16);
                    using var k = TestTensors.Upload(backend, TestTensors.Bf16Random(random, rows * shape.KvWidth), rows, shape.KvWidth, DType.BF16);
                    using var v = TestTensors.Upload(backend, TestTensors.Bf16Random(random, rows * shape.KvWidth), rows, shape.KvWidth, DType.BF16);
                    using var o = backend.Allocate(rows, shape.QueryWidth, DType.BF16);
                    using var lse = backend.Allocate(rows, shape.Heads, DType.F32);
                    double flops = 4.0 * rows * rows * shape.HeadDim * shape.Heads / 2;
                    foreach (int rowsPerBlock in new[] { FlashAttentionKernel.NarrowRows, FlashAttentionKernel.WideRows })
                    {
                        kernel.ForcedRowsPerBlock = rowsPerBlock;
                        double ms = Time(backend, () =>
                        {
                            if (!backend.ContiguousFlashAttention(q, 0, k, v, 0, attentionShape, o, lse))
                                throw new InvalidOperationException("The flash kernel did not apply.");
                        });
                        Line(Invariant($"| {shape.Name} | {rows} | {shape.Heads}/{shape.KvHeads} | {shape.HeadDim} | {rowsPerBlock} | {ms:F3} | {flops / (ms * 1e9):F1} |"));
                    }
                }
            }
        }
        finally
        {
            kernel.ForcedRowsPerBlock = saved;
        }

        Line();
    }
}
