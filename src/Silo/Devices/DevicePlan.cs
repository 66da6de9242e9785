namespace InferMesh.Silo.Devices;

/// <summary>Which devices engines go on: the configured ones, else every accelerator found, else the CPU.</summary>
public static class DevicePlan
{
    /// <param name="discoveries">All registered discoveries.</param>
    /// <param name="configured">Device names from configuration (<c>InferMesh:Devices</c>), or empty for automatic.</param>
    public static IReadOnlyList<ComputeDevice> Choose(IEnumerable<IDeviceDiscovery> discoveries, IReadOnlyList<string> configured)
    {
        var found = discoveries.SelectMany(d => d.Discover()).DistinctBy(d => d.Name).ToList();
        if (configured.Count > 0)
        {
            return [.. configured.Select(name => found.Find(d => d.Name == name)
                ?? throw new InvalidOperationException($"InferMesh:Devices names '{name}', but this machine has only: {string.Join(", ", found.Select(d => d.Name))}"))];
        }

        var accelerators = found.Where(d => !d.IsCpu).ToList();
        return accelerators.Count > 0 ? accelerators : [.. found.Where(d => d.IsCpu).Take(1)];
    }
}
