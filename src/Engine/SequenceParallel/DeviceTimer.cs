using System.Diagnostics;
using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>Times device work: CUDA events on the backend's stream where it has them, else the wall clock around a synchronised run.</summary>
public static class DeviceTimer
{
    /// <summary>Median seconds of <paramref name="repeats"/> runs of <paramref name="body"/>, after one untimed run (compilation, scratch growth).</summary>
    public static double MedianSeconds(IComputeBackend backend, Action body, int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        body();
        backend.Synchronize();
        if (backend is CudaBackend cuda)
        {
            return cuda.MedianMilliseconds(body, repeats) / 1000;
        }

        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            body();
            backend.Synchronize();
            times[i] = clock.Elapsed.TotalSeconds;
        }

        Array.Sort(times);
        return times[repeats / 2];
    }
}
