using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime.Placement;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>Registers sequence-parallel prefill in a silo: member placement, the session router and its counters.</summary>
public static class RingPrefillSiloBuilderExtensions
{
    public static ISiloBuilder AddRingPrefill(this ISiloBuilder silo)
    {
        var services = silo.Services;
        services.AddMetrics();
        services.TryAddSingleton<RingPrefillCounters>();
        services.TryAddSingleton<RingPrefillRouter>();
        services.AddPlacementDirector<RingMemberPlacementStrategy, RingMemberPlacementDirector>();
        return silo;
    }
}
