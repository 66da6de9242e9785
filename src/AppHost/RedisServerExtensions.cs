using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferMesh.AppHost;

/// <summary>Redis for the cluster, either as the machine's <c>redis-server</c> (no container engine needed) or as Aspire's container.</summary>
public static class RedisServerExtensions
{
    /// <summary>
    /// Starts <c>redis-server</c> as an executable resource on <paramref name="port"/> (no persistence: it lives as
    /// long as the app host), with a TCP health check so <c>WaitFor</c> completes once it accepts connections.
    /// </summary>
    public static RedisForOrleans AddRedisServer(this IDistributedApplicationBuilder builder, string name, int port)
    {
        var healthCheck = $"{name}-accepts-connections";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async cancellationToken =>
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (SocketException ex)
            {
                return HealthCheckResult.Unhealthy($"redis-server is not accepting connections on port {port} yet", ex);
            }
        });

        var server = builder.AddExecutable($"{name}-server", "redis-server", Path.GetTempPath(), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
            .WithHealthCheck(healthCheck);

        // Orleans looks up its Redis provider by this type name (without it, by the resource's own type, and fails).
        var connection = builder.AddConnectionString(name, ReferenceExpression.Create($"localhost:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}"))
            .WithOrleansProviderType("Redis");
        return new RedisForOrleans(connection, server);
    }

    /// <summary>Aspire's Redis container, for machines with a container engine.</summary>
    public static RedisForOrleans AddRedisContainerForOrleans(this IDistributedApplicationBuilder builder, string name)
    {
        var redis = builder.AddRedis(name).WithOrleansProviderType("Redis");
        return new RedisForOrleans(redis, redis);
    }
}
