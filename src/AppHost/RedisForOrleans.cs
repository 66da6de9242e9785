namespace InferMesh.AppHost;

/// <summary>Redis as Orleans sees it: the connection string to cluster and store with, and the resource to wait for.</summary>
public sealed record RedisForOrleans(IResourceBuilder<IResourceWithConnectionString> Connection, IResourceBuilder<IResource> Server);
