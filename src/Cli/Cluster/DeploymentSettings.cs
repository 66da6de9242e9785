namespace InferMesh.Cli.Cluster;

/// <summary>
/// The deployment `infermesh publish` writes, with the app host's parameter names: the same model, silo count and
/// gateway port; several machines always cluster and store sessions through Redis.
/// </summary>
internal sealed record DeploymentSettings
{
    /// <summary>Model folder name under /models in the containers (mounted from the host or a volume).</summary>
    public required string ModelName { get; init; }

    public int Silos { get; init; } = 2;

    public int GatewayPort { get; init; } = 8080;

    /// <summary>Image registry prefix, e.g. <c>registry.example.com/</c> (empty for local images).</summary>
    public string Registry { get; init; } = "";

    public string Tag { get; init; } = "latest";

    /// <summary>GPUs per silo pod/container (0 runs on the CPU).</summary>
    public int GpusPerSilo { get; init; }

    public string Namespace { get; init; } = "infermesh";

    public string SiloImage => $"{Registry}infermesh-silo:{Tag}";

    public string GatewayImage => $"{Registry}infermesh-gateway:{Tag}";
}
