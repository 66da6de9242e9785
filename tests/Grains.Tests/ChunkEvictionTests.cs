using InferMesh.Contracts;

namespace InferMesh.Grains.Tests;

/// <summary>
/// Eviction as the directory sees it, on a cluster of its own so that no other test's chunks (or their hits) weigh
/// in the engines' eviction choices: device and host tiers hold one chunk each, so each chunk computed later pushes
/// the older ones down a tier, then out.
/// </summary>
public sealed class ChunkEvictionTests(ChunkCacheCluster fixture) : IClassFixture<ChunkCacheCluster>
{
    private static readonly string Namespace = CacheNamespaces.ForTenant("evict");

    [Fact]
    public async Task Tier_moves_and_evictions_reach_the_directory()
    {
        var (_, silo) = await ChunkDirectoryTests.TurnAsync(fixture, "evict/orchard", [ChunkDocuments.Orchard], "How many trees?");
        var sameSilo = ChunkAffinity.Encode(new Dictionary<string, long> { [silo] = 1 });
        await ChunkDirectoryTests.TurnAsync(fixture, "evict/quarry", [ChunkDocuments.Quarry], "What fishes there?", sameSilo);
        await fixture.FlushChunkReportsAsync();
        var orchardMoved = await fixture.Directory(Namespace, ChunkDocuments.Orchard).Get();

        await ChunkDirectoryTests.TurnAsync(fixture, "evict/chapel", [ChunkDocuments.Chapel], "Is the door locked?", sameSilo);
        await fixture.FlushChunkReportsAsync();

        Assert.Equal(ChunkCacheTier.Host, TierOf(orchardMoved));
        Assert.Empty((await fixture.Directory(Namespace, ChunkDocuments.Orchard).Get()).Copies);
        Assert.Equal(ChunkCacheTier.Host, TierOf(await fixture.Directory(Namespace, ChunkDocuments.Quarry).Get()));
        Assert.Equal(ChunkCacheTier.Device, TierOf(await fixture.Directory(Namespace, ChunkDocuments.Chapel).Get()));
    }

    private static ChunkCacheTier TierOf(ChunkInfo entry) => Assert.Single(Assert.Single(entry.Copies).Variants).Tier;
}
