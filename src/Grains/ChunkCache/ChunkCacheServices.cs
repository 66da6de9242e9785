using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime;

namespace InferMesh.Grains.ChunkCache;

/// <summary>Registers the chunk directory's silo side: the engine-key index and the reporter of chunk copies.</summary>
public static class ChunkCacheServices
{
    public static IServiceCollection AddChunkDirectoryReporting(this IServiceCollection services)
    {
        services.AddOptions<ChunkDirectoryOptions>();
        services.TryAddSingleton<ChunkKeyIndex>();
        services.TryAddSingleton<ChunkReporter>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ChunkReporter>());
        return services;
    }
}
