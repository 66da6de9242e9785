using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

public sealed class CpuDeterminismTests
{
    [Fact]
    public void A_whole_decode_step_gives_the_same_bits_on_any_thread_count()
    {
        float[]? reference = null;
        foreach (int threads in new[] { 1, 2, 4 })
        {
            using var backend = new CpuBackend(threads);
            var step = new DecodeStep(backend, tokens: 8, hidden: 256, intermediate: 512);
            step.Run();
            reference ??= step.Logits.ToArray();
            CpuTestData.Identical(reference, step.Logits);
        }

        Assert.Contains(reference!, v => v != 0f);
    }

    [Fact]
    public void Backend_reports_its_threads_and_free_host_memory()
    {
        using var backend = new CpuBackend(threads: 3);

        Assert.Equal("cpu (3 threads)", backend.DeviceName);
        Assert.Equal(DType.F32, backend.ActivationType);
        Assert.Equal(DType.F32, backend.CacheType);
        Assert.InRange(backend.FreeMemoryBytes, 1, long.MaxValue);
    }
}
