using System.Net;
using InferMesh.Contracts;
using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using InferMesh.Grains.Sessions;
using InferMesh.Grains.Shards;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace InferMesh.Grains.Tests;

public sealed class PlacementTests
{
    private static readonly SiloAddress SiloA = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);
    private static readonly SiloAddress SiloB = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 1);
    private static readonly SiloAddress SiloC = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11113), 1);

    [Fact]
    public async Task New_session_goes_to_the_silo_with_the_most_free_kv_blocks_serving_its_model()
    {
        var view = new ClusterLoadView();
        view.Update([Replica("m", SiloA, total: 100, used: 90), Replica("m", SiloB, total: 100, used: 10), Replica("other", SiloC, total: 1000, used: 0)]);
        var director = Director(view);

        var chosen = await director.OnAddActivation(SessionPlacementStrategy.Instance, SessionTarget("t/s1", "m"), new Context(SiloA, SiloA, SiloB, SiloC));

        Assert.Equal(SiloB, chosen);
    }

    [Fact]
    public async Task A_silo_that_left_the_cluster_is_never_chosen_even_if_the_directory_still_lists_it()
    {
        var view = new ClusterLoadView();
        view.Update([Replica("m", SiloA, total: 100, used: 90), Replica("m", SiloB, total: 100, used: 0)]);

        var chosen = await Director(view).OnAddActivation(SessionPlacementStrategy.Instance, SessionTarget("t/s1", "m"), new Context(SiloA, SiloA));

        Assert.Equal(SiloA, chosen);
    }

    [Fact]
    public async Task A_burst_of_new_sessions_spreads_over_equally_free_silos()
    {
        var view = new ClusterLoadView();
        view.Update([Replica("m", SiloA, 100, 0), Replica("m", SiloB, 100, 0), Replica("m", SiloC, 100, 0)]);
        var director = Director(view);
        var context = new Context(SiloA, SiloA, SiloB, SiloC);

        var counts = new Dictionary<SiloAddress, int>();
        for (var i = 0; i < 9; i++)
        {
            var silo = await director.OnAddActivation(SessionPlacementStrategy.Instance, SessionTarget($"t/s{i}", "m"), context);
            counts[silo] = counts.GetValueOrDefault(silo) + 1;
        }

        Assert.Equal([3, 3, 3], counts.Values.Order());
    }

    [Fact]
    public async Task A_model_no_live_silo_serves_is_refused_as_model_not_found()
    {
        var view = new ClusterLoadView();
        view.Update([Replica("m", SiloA, 100, 0)]);

        var error = await Assert.ThrowsAsync<InferenceException>(() =>
            Director(view).OnAddActivation(SessionPlacementStrategy.Instance, SessionTarget("t/s1", "missing"), new Context(SiloA, SiloA)));

        Assert.Equal(InferenceErrorKind.ModelNotFound, error.Kind);
    }

    [Fact]
    public async Task Before_any_load_report_the_local_silo_is_used_when_it_serves_the_model()
    {
        var engines = new LocalEngines();
        engines.Add(new LocalEngine(new StubEngine("m", 64, 0), "cpu", layerCount: 2));

        var chosen = await Director(new ClusterLoadView(), engines).OnAddActivation(SessionPlacementStrategy.Instance, SessionTarget("t/s1", "m"), new Context(SiloB, SiloA, SiloB));

        Assert.Equal(SiloB, chosen);
    }

    [Fact]
    public async Task New_session_carrying_chunks_goes_to_the_silo_holding_most_of_their_tokens_over_a_freer_one()
    {
        var view = new ClusterLoadView();
        view.Update([Replica("m", SiloA, total: 100, used: 90), Replica("m", SiloB, total: 100, used: 0), Replica("m", SiloC, total: 100, used: 50)]);
        var affinity = ChunkAffinity.Encode(new Dictionary<string, long> { [SiloA.ToParsableString()] = 900, [SiloC.ToParsableString()] = 300 });

        var chosen = await Director(view).OnAddActivation(SessionPlacementStrategy.Instance, SessionTarget("t/s1", "m", affinity), new Context(SiloA, SiloA, SiloB, SiloC));

        Assert.Equal(SiloA, chosen);
    }

    [Fact]
    public async Task Chunk_holders_without_free_kv_blocks_or_outside_the_cluster_give_way_to_the_load_based_choice()
    {
        var view = new ClusterLoadView();
        view.Update([Replica("m", SiloA, total: 100, used: 100), Replica("m", SiloB, total: 100, used: 10), Replica("m", SiloC, total: 100, used: 60)]);
        var affinity = ChunkAffinity.Encode(new Dictionary<string, long> { [SiloA.ToParsableString()] = 900, ["10.9.9.9:1@1"] = 5000 });

        var chosen = await Director(view).OnAddActivation(SessionPlacementStrategy.Instance, SessionTarget("t/s1", "m", affinity), new Context(SiloA, SiloA, SiloB, SiloC));

        Assert.Equal(SiloB, chosen);
    }

    [Fact]
    public async Task Shard_grain_is_placed_on_the_silo_its_key_names()
    {
        var key = new ModelShardKey("org/model", 0, 1, SiloC.ToParsableString(), "cpu").ToString();

        var chosen = await new ShardPlacementDirector().OnAddActivation(ShardPlacementStrategy.Instance, ShardTarget(key), new Context(SiloA, SiloA, SiloB, SiloC));

        Assert.Equal(SiloC, chosen);
    }

    [Fact]
    public async Task Shard_grain_of_a_departed_silo_is_refused_instead_of_moving()
    {
        var key = new ModelShardKey("m", 0, 1, SiloC.ToParsableString(), "cpu").ToString();

        var error = await Assert.ThrowsAsync<InferenceException>(() =>
            new ShardPlacementDirector().OnAddActivation(ShardPlacementStrategy.Instance, ShardTarget(key), new Context(SiloA, SiloA, SiloB)));

        Assert.Equal(InferenceErrorKind.Unavailable, error.Kind);
    }

    private static SessionPlacementDirector Director(ClusterLoadView view, LocalEngines? engines = null) =>
        new(view, engines ?? new LocalEngines(), Options.Create(new ServingOptions { PlacementPenaltyBlocks = 32 }));

    private static ModelReplicaLoad Replica(string model, SiloAddress silo, int total, int used) => new()
    {
        Model = model,
        ShardKey = new ModelShardKey(model, 0, 1, silo.ToParsableString(), "cpu").ToString(),
        Silo = silo.ToParsableString(),
        Device = "cpu",
        TotalKvBlocks = total,
        UsedKvBlocks = used,
    };

    private static PlacementTarget SessionTarget(string key, string model, string? chunkAffinity = null)
    {
        var context = new Dictionary<string, object> { [RequestContextKeys.Model] = model };
        if (chunkAffinity is not null)
        {
            context[RequestContextKeys.ChunkAffinity] = chunkAffinity;
        }

        return new(GrainId.Create("session", key), context, default, 0);
    }

    private static PlacementTarget ShardTarget(string key) => new(GrainId.Create("shard", key), [], default, 0);

    private sealed class Context(SiloAddress local, params SiloAddress[] compatible) : IPlacementContext
    {
        public SiloAddress LocalSilo => local;

        public SiloStatus LocalSiloStatus => SiloStatus.Active;

        public SiloAddress[] GetCompatibleSilos(PlacementTarget target) => compatible;

        public IReadOnlyDictionary<ushort, SiloAddress[]> GetCompatibleSilosWithVersions(PlacementTarget target) =>
            new Dictionary<ushort, SiloAddress[]> { [0] = compatible };
    }
}
