using InferMesh.Gateway.Serving;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferMesh.Gateway.Hosting;

/// <summary>Healthy when the cluster answers and serves at least one model; degraded when it answers with none.</summary>
public sealed class ClusterHealthCheck(ModelCatalog catalog) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var replicas = await catalog.ReplicasAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return replicas.Count > 0
                ? HealthCheckResult.Healthy($"{replicas.Count} replica(s) of {replicas.Select(r => r.Model).Distinct().Count()} model(s)")
                : HealthCheckResult.Degraded("the cluster answers but serves no model yet");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("the cluster does not answer", ex);
        }
    }
}
