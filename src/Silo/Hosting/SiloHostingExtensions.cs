using InferMesh.Grains;
using InferMesh.ServiceDefaults;
using InferMesh.Silo.Devices;
using InferMesh.Silo.Engines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace InferMesh.Silo.Hosting;

/// <summary>Turns a host into an InferMesh silo: engines on the discovered devices, the serving grains, clustering and storage from configuration.</summary>
public static class SiloHostingExtensions
{
    public static IHostApplicationBuilder AddInferMeshSilo(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddInferMeshSiloServices(configuration);

        // Aspire passes the Redis connection as ConnectionStrings:redis and Orleans' Redis providers look it up by key.
        if (!string.IsNullOrEmpty(configuration.GetConnectionString("redis")))
        {
            builder.AddKeyedRedisClient("redis");
        }

        builder.UseOrleans(silo =>
        {
            silo.AddInferMeshGrains().ApplyClustering(configuration);

            // In Kubernetes (manifests from `infermesh publish`), Orleans reads pod name, IP and cluster ids from the
            // pod's environment and removes silos whose pods are gone.
            if (configuration.GetValue("InferMesh:Kubernetes", false))
            {
                silo.UseKubernetesHosting();
            }
        });
        return builder;
    }

    /// <summary>The services of <see cref="AddInferMeshSilo"/> without Orleans itself (test clusters configure that).</summary>
    public static IServiceCollection AddInferMeshSiloServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SiloModelOptions>(configuration.GetSection(SiloModelOptions.Section));
        services.Configure<ServingOptions>(configuration.GetSection(ServingOptions.Section));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeviceDiscovery, CpuDeviceDiscovery>());
        services.TryAddSingleton<IEngineLoader, HuggingFaceEngineLoader>();
        services.TryAddSingleton<EngineStartup>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<EngineStartup>());
        services.AddMetrics();
        services.TryAddSingleton<InferMeshMetrics>();
        services.TryAddSingleton<EngineMetrics>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<EngineMetrics>());
        services.AddHealthChecks().AddCheck<EngineHealthCheck>("engines");
        return services;
    }
}
