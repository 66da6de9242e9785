namespace InferMesh.Silo.Devices;

/// <summary>The host CPU (all cores), the device of last resort.</summary>
public sealed class CpuDeviceDiscovery : IDeviceDiscovery
{
    public IReadOnlyList<ComputeDevice> Discover() =>
        [new ComputeDevice("cpu", $"cpu ({Environment.ProcessorCount} threads)", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes)];
}
