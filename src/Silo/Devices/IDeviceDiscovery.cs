namespace InferMesh.Silo.Devices;

/// <summary>
/// Finds the devices of this machine. The CPU is always there; a GPU backend contributes its own discovery
/// (registered beside <see cref="CpuDeviceDiscovery"/>), and the silo runs one engine per model on each GPU it finds,
/// or on the CPU when it finds none.
/// </summary>
public interface IDeviceDiscovery
{
    IReadOnlyList<ComputeDevice> Discover();
}
