using System.Globalization;
using System.Text;
using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;
using InferMesh.Kernels.Cuda.Flash;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>GEMV kernel against cuBLAS at decode shapes.</summary>
public sealed partial class GpuKernelBenchmarks
{
    /// <summary>
    /// The CUDA C GEMV kernel against cuBLAS GemmEx on the decode linear layers of Llama-3.1-8B and 3.2-1B (packed
    /// q|k|v and gate|up as the engine runs them, the separate k projection, the LM head with fp32 logits) at batch 1
    /// and 8. Writes markdown to INFERMESH_GEMV_BENCH_OUT (a file path).
    /// </summary>
    [Fact]
    public void Measure_gemv_against_cublas_at_decode_shapes()
    {
        var backend = device.Require();
        string output = Environment.GetEnvironmentVariable("INFERMESH_GEMV_BENCH_OUT") ?? Path.Combine(Path.GetTempPath(), "gpu-gemv.md");
        Header(backend);
        Line("GB/s counts the weight, input and output bytes once; the copy bandwidth counts read + write.");
        Line();
        double bandwidth = CopyBandwidth(backend);
        Line($"Ceiling: device-to-device copy {bandwidth:F0} GB/s (read + write).");
        Line();
        Line("| layer | in → out | batch | output | cuBLAS ms | cuBLAS GB/s | cuBLAS % copy bw | GEMV ms | GEMV GB/s | GEMV % copy bw | speed-up |");
        Line("|---|---|---|---|---|---|---|---|---|---|---|");
        var layers = new (string Name, int In, int Out, DType Output)[]
        {
            ("8B qkv_proj", 4096, 6144, DType.BF16),
            ("8B q_proj / o_proj", 4096, 4096, DType.BF16),
            ("8B k_proj", 4096, 1024, DType.BF16),
            ("8B gate_up_proj", 4096, 28672, DType.BF16),
            ("8B down_proj", 14336, 4096, DType.BF16),
            ("8B lm_head", 4096, 128_256, DType.F32),
            ("1B qkv_proj", 2048, 3072, DType.BF16),
            ("1B q_proj / o_proj", 2048, 2048, DType.BF16),
            ("1B gate_up_proj", 2048, 16384, DType.BF16),
            ("1B down_proj", 8192, 2048, DType.BF16),
        };
        foreach (var (name, inFeatures, outFeatures, outputType) in layers)
        {
            foreach (int batch in new[] { 1, 8 })
                GemvAgainstCublas(backend, name, inFeatures, outFeatures, outputType, batch, bandwidth);
        }

        Publish(output);
    }


    /// <summary>One product timed through cuBLAS (GEMV off) and through the GEMV kernel, on the same weights and input.</summary>
    private void GemvAgainstCublas(CudaBackend backend, string name, int inFeatures, int outFeatures, DType outputType, int batch, double bandwidth)
    {
        var weights = RotatedWeights(backend, outFeatures, inFeatures);
        try
        {
            using var x = TestTensors.Upload(backend, TestTensors.Bf16Random(new Random(batch + inFeatures), batch * inFeatures), batch, inFeatures);
            using var y = backend.Allocate(batch, outFeatures, outputType);
            bool saved = backend.UseGemv;
            double Measure(bool gemv)
            {
                backend.UseGemv = gemv;
                try
                {
                    return Time(backend, () =>
                    {
                        foreach (var w in weights)
                            backend.MatMul(x, w, null, y);
                    }) / weights.Length;
                }
                finally
                {
                    backend.UseGemv = saved;
                }
            }

            long launches = backend.GemvLaunches;
            double cublasMs = Measure(gemv: false);
            Assert.Equal(launches, backend.GemvLaunches);
            double gemvMs = Measure(gemv: true);
            Assert.True(backend.GemvLaunches > launches, $"{name} at batch {batch} should run through the GEMV kernel");

            long bytes = 2L * outFeatures * inFeatures + 2L * batch * inFeatures + (outputType == DType.F32 ? 4L : 2L) * batch * outFeatures;
            double cublasGbs = bytes / (cublasMs * 1e6);
            double gemvGbs = bytes / (gemvMs * 1e6);
            Line(Invariant($"| {name} | {inFeatures} → {outFeatures} | {batch} | {(outputType == DType.F32 ? "f32" : "bf16")} | {cublasMs:F4} | {cublasGbs:F0} | {cublasGbs / bandwidth * 100:F0}% | {gemvMs:F4} | {gemvGbs:F0} | {gemvGbs / bandwidth * 100:F0}% | {cublasMs / gemvMs:F2}× |"));
        }
        finally
        {
            foreach (var w in weights)
                w.Dispose();
        }
    }
}
