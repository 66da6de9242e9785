using InferMesh.Grains.ChunkCache;
using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using InferMesh.Grains.SequenceParallel;
using InferMesh.Grains.Sessions;
using InferMesh.Grains.Shards;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Runtime;

namespace InferMesh.Grains;

/// <summary>Registers what the serving grains need in a silo: local engines, load view and reporter, placement directors.</summary>
public static class GrainsSiloBuilderExtensions
{
    /// <summary>
    /// Adds InferMesh's grains' services. The host still registers the engines (<see cref="LocalEngines.Add"/>) and
    /// the grain storage named <see cref="StorageNames.Sessions"/>.
    /// </summary>
    public static ISiloBuilder AddInferMeshGrains(this ISiloBuilder silo)
    {
        var services = silo.Services;
        services.TryAddSingleton<LocalEngines>();
        services.TryAddSingleton<ClusterLoadView>();
        services.AddOptions<ServingOptions>();
        services.TryAddSingleton<LoadReporter>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<LoadReporter>());
        services.AddChunkDirectoryReporting();
        // A session's call to its shard waits for the next tokens, the first after the whole prefill: allow long prefills.
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(2));
        services.AddPlacementDirector<SessionPlacementStrategy, SessionPlacementDirector>();
        services.AddPlacementDirector<ShardPlacementStrategy, ShardPlacementDirector>();
        silo.AddRingPrefill();
        return silo;
    }
}
