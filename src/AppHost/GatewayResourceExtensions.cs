namespace InferMesh.AppHost;

/// <summary>Settings of the gateway resource.</summary>
public static class GatewayResourceExtensions
{
    /// <summary>Makes the gateway require <paramref name="apiKey"/> (as tenant "default") when one is given.</summary>
    public static IResourceBuilder<ProjectResource> WithApiKey(this IResourceBuilder<ProjectResource> gateway, string? apiKey) =>
        apiKey is null ? gateway : gateway.WithEnvironment($"InferMesh__Gateway__ApiKeys__{apiKey}", "default");
}
