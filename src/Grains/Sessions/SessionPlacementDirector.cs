using InferMesh.Contracts;
using InferMesh.Grains.ChunkCache;
using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace InferMesh.Grains.Sessions;

/// <summary>
/// Chooses the silo for a session being activated: among live silos that serve the call's model (Orleans
/// RequestContext <see cref="RequestContextKeys.Model"/>; any model when the call names none), the one with the most
/// free KV blocks after charging the sessions placed on it since the last load report — first narrowed, for a request
/// carrying documents, to the silos holding most of their chunk tokens (<see cref="ChunkPlacement"/>). Once active a
/// session stays put, and its KV with it; it moves only when its silo leaves or it is collected (which frees its KV too).
/// </summary>
public sealed class SessionPlacementDirector(ClusterLoadView view, LocalEngines localEngines, IOptions<ServingOptions> options) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var model = target.RequestContextData is { } data && data.TryGetValue(RequestContextKeys.Model, out var m) ? m as string : null;
        var compatible = context.GetCompatibleSilos(target);
        var live = new Dictionary<string, SiloAddress>(StringComparer.Ordinal);
        foreach (var silo in compatible)
        {
            live[silo.ToParsableString()] = silo;
        }

        // Free blocks per live silo serving the model (best replica of each silo).
        var free = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var replica in view.Replicas)
        {
            if ((model is null || replica.Model == model) && live.ContainsKey(replica.Silo))
            {
                free[replica.Silo] = Math.Max(free.GetValueOrDefault(replica.Silo, int.MinValue), replica.FreeKvBlocks);
            }
        }

        // This silo's own engines are known first-hand, even before the first load report.
        var self = context.LocalSilo.ToParsableString();
        if (live.ContainsKey(self) && !free.ContainsKey(self))
        {
            var local = model is null ? localEngines.All.FirstOrDefault() : localEngines.Find(model);
            if (local is not null)
            {
                free[self] = local.Engine.Stats.FreeKvBlocks;
            }
        }

        if (free.Count == 0)
        {
            throw new InferenceException(
                model is null ? InferenceErrorKind.Unavailable : InferenceErrorKind.ModelNotFound,
                model is null ? "no silo in the cluster serves any model yet" : $"no live silo serves model '{model}'",
                model is null ? null : "model");
        }

        free = ChunkPlacement.PreferChunkHolders(target, free);
        var penalty = options.Value.PlacementPenaltyBlocks;
        string? best = null;
        var bestScore = long.MinValue;
        var ties = 0;
        foreach (var (silo, blocks) in free)
        {
            var score = (long)blocks - ((long)view.PlacedSinceRefresh(silo) * penalty);
            if (score > bestScore)
            {
                (best, bestScore, ties) = (silo, score, 1);
            }
            else if (score == bestScore && Random.Shared.Next(++ties) == 0)
            {
                best = silo; // reservoir choice among equals, so equal silos share new sessions evenly
            }
        }

        view.NotePlacement(best!);
        return Task.FromResult(live[best!]);
    }
}
