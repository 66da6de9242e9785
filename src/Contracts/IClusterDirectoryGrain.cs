namespace InferMesh.Contracts;

/// <summary>
/// The cluster's directory of models, their replicas and load (key 0). Every silo reports its replicas every
/// second; entries not refreshed for <see cref="ModelReplicaLoad.StaleAfter"/> are dropped, so a dead silo leaves the
/// directory on its own. Used for routing, placement and <c>/v1/models</c>.
/// </summary>
public interface IClusterDirectoryGrain : IGrainWithIntegerKey
{
    Task Report(SiloLoadReport report);

    Task<IReadOnlyList<ModelReplicaLoad>> GetReplicas();
}
