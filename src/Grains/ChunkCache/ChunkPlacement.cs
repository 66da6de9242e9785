using InferMesh.Contracts;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace InferMesh.Grains.ChunkCache;

/// <summary>
/// KV-aware routing for session placement: of the candidate silos (live, serving the model), keep those that hold the
/// most tokens of the request's chunks (<see cref="ChunkAffinity"/>) and still have free KV blocks; the usual
/// load-based choice then runs among them. Without any holder with room, the candidates stay as they were.
/// </summary>
internal static class ChunkPlacement
{
    /// <param name="target">The activation being placed (its RequestContext carries the affinity).</param>
    /// <param name="free">Free KV blocks per candidate silo.</param>
    public static Dictionary<string, int> PreferChunkHolders(PlacementTarget target, Dictionary<string, int> free)
    {
        var affinity = target.RequestContextData is { } data && data.TryGetValue(RequestContextKeys.ChunkAffinity, out var value)
            ? ChunkAffinity.Decode(value as string)
            : [];
        var most = 0L;
        foreach (var (silo, blocks) in free)
        {
            if (blocks > 0 && affinity.TryGetValue(silo, out var tokens) && tokens > most)
            {
                most = tokens;
            }
        }

        return most == 0
            ? free
            : free.Where(kv => kv.Value > 0 && affinity.GetValueOrDefault(kv.Key) == most).ToDictionary(StringComparer.Ordinal);
    }
}
