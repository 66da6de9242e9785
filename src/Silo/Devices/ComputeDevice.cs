namespace InferMesh.Silo.Devices;

/// <summary>A device this silo can run an engine on; <see cref="Name"/> is what the engine is told (<c>cpu</c>, <c>cuda:0</c>).</summary>
public sealed record ComputeDevice(string Name, string Description, long MemoryBytes)
{
    public bool IsCpu => Name == "cpu";
}
