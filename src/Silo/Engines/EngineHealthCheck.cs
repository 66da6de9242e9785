using InferMesh.Grains.Engines;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferMesh.Silo.Engines;

/// <summary>Healthy once this silo has at least one engine loaded.</summary>
public sealed class EngineHealthCheck(LocalEngines engines) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(engines.All.Count > 0
            ? HealthCheckResult.Healthy($"{engines.All.Count} engine(s): {string.Join(", ", engines.All.Select(e => $"{e.Model}@{e.Device}"))}")
            : HealthCheckResult.Unhealthy("no engine loaded yet"));
}
