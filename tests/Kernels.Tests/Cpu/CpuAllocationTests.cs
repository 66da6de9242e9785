using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>Runs alone (no other test allocating at the same time), so process-wide allocation counts are meaningful.</summary>
[CollectionDefinition(nameof(CpuAllocationTests), DisableParallelization = true)]
[Collection(nameof(CpuAllocationTests))]
public sealed class CpuAllocationTests
{
    [Fact]
    public void Decode_ops_allocate_nothing_after_warmup()
    {
        using var backend = new CpuBackend(threads: 2);
        var step = new DecodeStep(backend, tokens: 32, hidden: 1024, intermediate: 2048);
        step.Run();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++)
        {
            step.Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Worker_threads_allocate_nothing_after_warmup()
    {
        using var backend = new CpuBackend(threads: 3);
        var step = new DecodeStep(backend, tokens: 32, hidden: 1024, intermediate: 2048);
        step.Run();

        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 3; i++)
        {
            step.Run();
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        // A small budget for whatever the test framework itself allocates meanwhile; measured 0 when run alone.
        Assert.True(allocated < 1024, $"The process allocated {allocated} bytes during 3 decode steps.");
    }
}
